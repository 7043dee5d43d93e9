/*
 * memheap.h - memheap's allocator alone, for C runtimes and firmware that embed it.
 *
 * A buddy heap over a region [base, base + len) that it never reads or writes (host memory,
 * device memory, another process's mapping), with all of its metadata in storage the caller
 * supplies. No malloc, no locks: wrap calls in your own lock if several threads (or interrupt
 * handlers) share a heap. Placement is deterministic: the same calls give the same addresses.
 *
 * Two libraries provide these functions:
 *   libmemheap.a / libmemheap.so   the hosted OpenSHMEM library (needs libc, pthreads);
 *   libmemheap_embed.a             freestanding: no libc, no std, panic = abort; link it with
 *                                  -nostdlib into firmware (it needs memcpy, memset, memmove
 *                                  and memcmp from the firmware, as any freestanding code).
 *
 *     memheap_config_t cfg = MEMHEAP_CONFIG_DEFAULT;
 *     size_t need = memheap_metadata_bytes(len, &cfg);
 *     void *meta = ...;  // need bytes, 8-byte aligned
 *     memheap_t *h;
 *     if (memheap_init(&h, base, len, meta, need, &cfg) != MEMHEAP_OK) ...
 *     void *p;
 *     if (memheap_alloc(h, 1000, 64, &p) == MEMHEAP_OK) ...
 *     memheap_free(h, p);
 */
#ifndef MEMHEAP_H
#define MEMHEAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes. 0 is success; every other value leaves the heap unchanged. */
typedef enum memheap_status {
    MEMHEAP_OK = 0,
    MEMHEAP_ERR_OUT_OF_MEMORY = 1,     /* no free block large enough */
    MEMHEAP_ERR_CAPACITY = 2,          /* size table full: too many blocks */
    MEMHEAP_ERR_INVALID_POINTER = 3,   /* not the start of a block of this heap */
    MEMHEAP_ERR_DOUBLE_FREE = 4,       /* the block is already free */
    MEMHEAP_ERR_BAD_ALIGNMENT = 5,     /* not a power of two */
    MEMHEAP_ERR_SIZE_OVERFLOW = 6,     /* the size cannot be rounded to a block */
    MEMHEAP_ERR_BAD_REGION = 7,        /* region too short, too long or wrapping */
    MEMHEAP_ERR_METADATA_TOO_SMALL = 8,/* metadata storage too small or misaligned */
    MEMHEAP_ERR_BAD_CONFIG = 9,        /* min_order out of [3, 30], or capacity too large */
    MEMHEAP_ERR_NO_ROOM_IN_PLACE = 10, /* cannot grow without moving */
    MEMHEAP_ERR_NULL_ARGUMENT = 11     /* a required pointer argument was NULL */
} memheap_status_t;

/* How a heap is built. */
typedef struct memheap_config {
    unsigned min_order; /* minimum block = 2^min_order bytes, 3..30 (default 4: 16 B) */
    size_t capacity;    /* blocks the size table holds; 0 (default): derived from the region */
    int exact_fit;      /* non-zero (default): a block keeps its size rounded to its class
                           (at most 1/16 more), not to a power of two */
    int lowest_address; /* non-zero: strict lowest-address first fit, sizes rounded to the
                           minimum block only, no free lists; 0 (default): packed placement */
    unsigned list_depth;/* freed blocks kept per size class for reuse (default 32; 0: none) */
} memheap_config_t;

#define MEMHEAP_CONFIG_DEFAULT { 4u, 0u, 1, 0, 32u }

/* Heap statistics. */
typedef struct memheap_stats {
    uint64_t region_bytes;   /* bytes managed */
    uint64_t bytes_in_use;   /* bytes in live blocks */
    uint64_t bytes_free;     /* bytes in free space */
    uint64_t bytes_listed;   /* bytes of freed blocks waiting on the per-class lists */
    uint64_t largest_free;   /* largest free buddy block */
    uint64_t live_blocks;    /* live blocks */
    uint64_t capacity;       /* blocks the size table accepts */
    uint64_t metadata_bytes; /* metadata storage in use */
} memheap_stats_t;

/* Opaque heap handle; it lives inside the caller's metadata storage. */
typedef struct memheap memheap_t;

/* Bytes of metadata storage a heap over len bytes needs with cfg (NULL: defaults);
 * 0 if the region or configuration is unusable. */
size_t memheap_metadata_bytes(size_t len, const memheap_config_t *cfg);

/* Build a heap over [base, base + len) with its metadata in [meta, meta + meta_bytes)
 * (8-byte aligned). The heap never touches [base, base + len). */
memheap_status_t memheap_init(memheap_t **heap, void *base, size_t len, void *meta,
                              size_t meta_bytes, const memheap_config_t *cfg);

/* Allocate size bytes aligned to align (a power of two). Size 0 gives one minimum block. */
memheap_status_t memheap_alloc(memheap_t *heap, size_t size, size_t align, void **out);

/* Free a block. Foreign, interior and double frees return an error and change nothing. */
memheap_status_t memheap_free(memheap_t *heap, void *ptr);

/* Resize without moving. */
memheap_status_t memheap_resize_in_place(memheap_t *heap, void *ptr, size_t new_size);

/* Resize, moving (and copying min(old, new) bytes) if needed: host memory only.
 * On error the old block and its contents are untouched. */
memheap_status_t memheap_realloc(memheap_t *heap, void *ptr, size_t new_size, size_t align,
                                 void **out);

/* Give every freed block waiting on a free list back to the buddy heap (they coalesce).
 * The heap does this by itself when an allocation needs it; see bytes_listed. */
memheap_status_t memheap_flush(memheap_t *heap);

/* Usable size of a live block; 0 if ptr is not the start of a live block. */
size_t memheap_usable_size(const memheap_t *heap, const void *ptr);

/* Statistics. */
memheap_status_t memheap_get_stats(const memheap_t *heap, memheap_stats_t *out);

/* Check every invariant; MEMHEAP_OK or MEMHEAP_ERR_INVALID_POINTER if metadata is corrupt. */
memheap_status_t memheap_check(const memheap_t *heap);

/* A static description of a status code. */
const char *memheap_strerror(memheap_status_t status);

#ifdef __cplusplus
}
#endif

#endif /* MEMHEAP_H */
