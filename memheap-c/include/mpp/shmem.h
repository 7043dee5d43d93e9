/*
 * mpp/shmem.h - the historical (SGI/Cray) path of shmem.h: the same declarations.
 *
 * It includes shmem.h by its path relative to this file, so it works both as <mpp/shmem.h>
 * (with the include directory on the search path) and as <shmem.h> (with include/mpp on it).
 */
#ifndef MEMHEAP_MPP_SHMEM_H
#define MEMHEAP_MPP_SHMEM_H

#include "../shmem.h"

#endif /* MEMHEAP_MPP_SHMEM_H */
