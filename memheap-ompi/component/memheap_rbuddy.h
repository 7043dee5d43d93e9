/*
 * memheap_rbuddy.h - the entry points of the memheap-ompi static library (Rust, src/ffi.rs),
 * called by the component shim mca_memheap_rbuddy.c. The status codes repeat those of
 * src/ffi.rs; a unit test there checks that both agree.
 */
#ifndef MEMHEAP_RBUDDY_H
#define MEMHEAP_RBUDDY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RBUDDY_OK 0              /* success */
#define RBUDDY_NO_BLOCK 1        /* size 0: no block, nothing reported */
#define RBUDDY_OUT_OF_MEMORY 2   /* not enough free memory */
#define RBUDDY_CAPACITY 3        /* size table full (memheap_rbuddy_capacity) */
#define RBUDDY_BAD_ALIGNMENT 4   /* alignment 0, or no address of the heap has it */
#define RBUDDY_INVALID_POINTER 5 /* not the start of a live block of this heap */
#define RBUDDY_DOUBLE_FREE 6     /* the block was already freed */
#define RBUDDY_NOT_INITIALISED 7 /* no heaps (before init or after finalize) */
#define RBUDDY_BAD_REGION 8      /* init: unusable region or parameters */

struct memheap_rbuddy_params {
    size_t user_capacity;             /* live blocks of the user heap; 0: derived (1 per 2 KiB) */
    int verbose;                      /* 0 errors, 1 geometry and summaries, 2 refusals */
    void (*report)(const char *msg);  /* prints one message; NULL: standard error */
};

int memheap_rbuddy_init(void *user_base, size_t user_size, void *private_base,
                        size_t private_size, const struct memheap_rbuddy_params *params);
int memheap_rbuddy_finalize(void);
int memheap_rbuddy_alloc(size_t size, void **out);
int memheap_rbuddy_memalign(size_t align, size_t size, void **out);
int memheap_rbuddy_realloc(size_t new_size, void *old, void **out);
int memheap_rbuddy_free(void *ptr);
int memheap_rbuddy_private_alloc(size_t size, void **out);
int memheap_rbuddy_private_free(void *ptr);

#ifdef __cplusplus
}
#endif

#endif
