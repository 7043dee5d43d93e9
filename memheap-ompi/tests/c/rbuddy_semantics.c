/*
 * rbuddy_semantics.c - memheap's heap semantics inside Open MPI's OSHMEM, with the rbuddy
 * component selected (built with oshcc, run by tests/oshrun.rs):
 *   - deterministic placement: the same calls give the same addresses on every PE, and a
 *     freed block serves the next request of its size class;
 *   - size 0 gives NULL with no barrier (only PE 0 makes those calls);
 *   - shmem_align rounds odd alignments up (63 -> 64) and honours any alignment some address
 *     of the heap has, also above the heap base's own; one no address has gives NULL on
 *     every PE (and a message);
 *   - realloc grows in place when the space after the block is free, moves (keeping the
 *     contents) when a live block is in the way, and a failed realloc leaves the block intact;
 *   - interior and double frees are reported and change nothing.
 * With the argument "big" (run with SHMEM_SYMMETRIC_HEAP_SIZE above 4 GiB) it also places
 * blocks beyond 4 GiB from the heap's start and moves data there between PEs.
 * Each PE prints "rbuddy_semantics: PE n ok" at the end.
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h" /* CHECK, as in the project's C tests (oshrun.rs adds -I tests/c) */
#include <shmem.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define TRACE 64
static long trace[TRACE]; /* static: symmetric, so peers read it with shmem_getmem */
static int traced;

static void *record(void *p) {
    CHECK(traced < TRACE);
    trace[traced++] = (long)(uintptr_t)p;
    return p;
}

/* A fixed mix of calls; every PE makes the same ones and records the addresses. */
static void placement_sequence(void) {
    void *keep[16];
    int k = 0;
    static const size_t sizes[] = { 1, 24, 100, 4096, 5000, 65536, 100000, 1 << 20 };
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            keep[k++] = record(shmem_malloc(sizes[i] + (size_t)round * 8));
        }
        /* Free every other block: the next round's blocks of the same size classes take
         * them again. */
        for (int i = round * 8; i < k; i += 2) {
            shmem_free(keep[i]);
            keep[i] = NULL;
        }
    }
    record(shmem_align(4096, 300));
    record(shmem_align(63, 10));
    void *r = record(shmem_malloc(200));
    record(shmem_realloc(r, 300000));
    for (int i = 0; i < k; i++) {
        if (keep[i]) shmem_free(keep[i]);
    }
    for (int i = traced - 4; i < traced; i++) {
        if (i != traced - 2) shmem_free((void *)(uintptr_t)trace[i]);
    }
}

int main(int argc, char **argv) {
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    int big = argc > 1 && strcmp(argv[1], "big") == 0;

    if (big) {
        /* Beyond 4 GiB, first, while the heap is fresh (one frontier run): a 5 GiB block (never
         * touched but at its ends) at its start, then a small block carved right after it. 32-bit
         * offsets would wrap these onto the heap's first bytes. */
        size_t five = (size_t)5 << 30;
        char *huge = shmem_malloc(five);
        CHECK(huge != NULL);
        long *high = shmem_malloc(4 * sizeof(long));
        CHECK(high != NULL);
        CHECK((uintptr_t)high == (uintptr_t)huge + five); /* 5 GiB into the heap */
        huge[0] = (char)me;
        huge[five - 1] = (char)(me + 1);
        high[0] = 1000 + me;
        shmem_barrier_all();
        int right = (me + 1) % n;
        CHECK(shmem_long_g(high, right) == 1000 + right);
        char last;
        shmem_getmem(&last, huge + five - 1, 1, right);
        CHECK(last == (char)(right + 1));
        shmem_long_p(&high[1], 2000 + me, right);
        shmem_barrier_all();
        CHECK(high[1] == 2000 + (me + n - 1) % n);
        CHECK(huge[0] == (char)me);
        shmem_free(high);
        shmem_free(huge);
        printf("rbuddy_semantics: PE %d placed a block %zu bytes past a 5 GiB one\n", me,
               (size_t)((uintptr_t)high - (uintptr_t)huge));
    }

    /* Deterministic placement: compare the whole trace with every other PE's. */
    placement_sequence();
    shmem_barrier_all();
    for (int pe = 0; pe < n; pe++) {
        long theirs[TRACE];
        shmem_getmem(theirs, trace, sizeof(long) * (size_t)traced, pe);
        for (int i = 0; i < traced; i++) CHECK(theirs[i] == trace[i]);
    }
    for (int i = 0; i < traced; i++) CHECK(trace[i] != 0 && trace[i] % 16 == 0);
    /* A freed block waits on its size class's list and serves the next request of that
     * class: 9 bytes (trace[8]) takes the 16-byte block of the 1-byte request (trace[0]). */
    CHECK(trace[8] == trace[0]);

    /* Size 0: NULL and no barrier. Only PE 0 calls; a barrier inside would hang the job. */
    if (me == 0) {
        CHECK(shmem_malloc(0) == NULL);
        CHECK(shmem_align(64, 0) == NULL);
        CHECK(shmem_realloc(NULL, 0) == NULL);
        CHECK(shmem_calloc(0, 8) == NULL);
    }
    shmem_barrier_all();

    /* Alignment: odd ones rounded up; alignments above the base's own honoured as addresses
     * (OSHMEM's default base 0xFF000000 is a multiple of 16 MiB, not of 32 MiB; 0x100000000,
     * 16 MiB into the heap, is a multiple of 4 GiB); one no address of the heap has (1 TiB)
     * refused on every PE. */
    char *skew = shmem_malloc(100);
    CHECK(skew != NULL);
    struct { size_t asked, got; } odd[] = { {2, 16}, {24, 32}, {63, 64}, {65, 128}, {1000, 1024},
                                            {(size_t)1 << 24, (size_t)1 << 24},
                                            {(size_t)1 << 25, (size_t)1 << 25},
                                            {(size_t)1 << 32, (size_t)1 << 32} };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        void *p = shmem_align(odd[i].asked, 48);
        CHECK(p != NULL);
        CHECK((uintptr_t)p % odd[i].got == 0);
        shmem_free(p);
    }
    CHECK(shmem_align((size_t)1 << 40, 48) == NULL);
    CHECK(shmem_align(0, 48) == NULL);

    /* Realloc: in place while the space after the block is free. p is the only live block:
     * everything else is free or waits on a free list (those drain for the growth). */
    shmem_free(skew);
    unsigned char *p = shmem_malloc(100);
    CHECK(p != NULL);
    for (int i = 0; i < 100; i++) p[i] = (unsigned char)(i + me);
    unsigned char *q = shmem_realloc(p, 200000);
    CHECK(q == p);
    for (int i = 0; i < 100; i++) CHECK(q[i] == (unsigned char)(i + me));
    /* Keep 1 MiB blocks until one starts within 2 MiB after q, so q cannot grow to 2 MiB where
     * it is. Before the heap is full one must: that space is free. (Free buddy blocks elsewhere
     * are taken first, so with the 6 GiB heap of "big" this takes about 4100 blocks.) */
    static unsigned char *blockers[8192];
    int nblockers = 0;
    unsigned char *blocker;
    do {
        CHECK(nblockers < 8192);
        blocker = shmem_malloc((size_t)1 << 20);
        CHECK(blocker != NULL);
        blockers[nblockers++] = blocker;
    } while (!(blocker > q && blocker < q + ((size_t)2 << 20)));
    CHECK(blocker >= q + 200000);
    q = shmem_realloc(p, (size_t)2 << 20); /* must move: the blocker is in the way */
    CHECK(q != NULL && q != p);
    for (int i = 0; i < 100; i++) CHECK(q[i] == (unsigned char)(i + me));
    unsigned char peer[100];
    shmem_getmem(peer, q, sizeof peer, (me + 1) % n);
    for (int i = 0; i < 100; i++) CHECK(peer[i] == (unsigned char)(i + (me + 1) % n));
    shmem_barrier_all();
    CHECK(shmem_realloc(q, (size_t)1 << 50) == NULL); /* fails everywhere: q intact */
    for (int i = 0; i < 100; i++) CHECK(q[i] == (unsigned char)(i + me));

    /* Bad frees: reported, harmless. */
    shmem_free(q + 16);                    /* interior: refused, q still live */
    CHECK(q[5] == (unsigned char)(5 + me));
    shmem_free(q);
    shmem_free(q);                         /* double: refused */
    unsigned char *again = shmem_realloc(NULL, (size_t)2 << 20);
    CHECK(again == q);                     /* q's block, and nothing else, came back */
    shmem_free(again);
    for (int i = 0; i < nblockers; i++) shmem_free(blockers[i]);

    shmem_barrier_all();
    printf("rbuddy_semantics: PE %d ok\n", me);
    fflush(stdout);
    shmem_finalize();
    return 0;
}
