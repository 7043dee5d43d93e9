/*
 * shmemx.h - extensions to OpenSHMEM provided by memheap (libmemheap).
 *
 * memheap has no extensions beyond OpenSHMEM 1.5 yet: this header is the standard place for
 * them, and programs that include it build against shmem.h alone.
 */
#ifndef MEMHEAP_SHMEMX_H
#define MEMHEAP_SHMEMX_H

#include <shmem.h>

#endif /* MEMHEAP_SHMEMX_H */
