/*
 * realloc_touch.c - where the time of shmem_bench.c's realloc chain goes: the same chain
 * (a 64-byte block kept live, then one block grown from 16 B to 1 MiB in steps of x1.25 + 16,
 * its last byte written after every step), repeated, printing for each repetition the time per
 * step, how many steps moved the block, and the page faults the chain took (getrusage minor
 * faults): a chain that grows into heap pages no earlier work touched pays a fault for each.
 * With the argument "warm", a workload like shmem_bench.c's mixed one runs first (it touches
 * the low part of the heap).
 *
 * usage: realloc_touch [warm]       (memheap: memheap-run -n 1; OSHMEM: oshrun -np 1)
 */
#define _POSIX_C_SOURCE 200809L
#include <shmem.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static uint64_t rng_state;
static uint64_t rng(void) { /* xorshift64*, as in shmem_bench.c */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long minor_faults(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
}

int main(int argc, char **argv) {
    shmem_init();
    if (argc > 1 && strcmp(argv[1], "warm") == 0) {
        static void *slot[256];
        rng_state = 0x9E3779B97F4A7C15ull;
        for (int i = 0; i < 100000; i++) {
            int k = (int)(rng() % 256);
            if (slot[k]) {
                shmem_free(slot[k]);
                slot[k] = NULL;
            } else {
                double u = (double)(rng() >> 11) / 9007199254740992.0;
                slot[k] = shmem_malloc((size_t)exp(log(8.0) + u * (log(131072.0) - log(8.0))));
            }
        }
        for (int k = 0; k < 256; k++) shmem_free(slot[k]);
    }
    for (int r = 0; r < 7; r++) {
        void *keep = shmem_malloc(64);
        size_t size = 16;
        char *p = shmem_malloc(size);
        int steps = 0, moves = 0;
        long faults = minor_faults();
        double t0 = now_ns();
        while (size < (1 << 20)) {
            size += size / 4 + 16;
            char *q = shmem_realloc(p, size);
            if (q == NULL) {
                fprintf(stderr, "realloc_touch: realloc to %zu failed\n", size);
                shmem_global_exit(2);
            }
            moves += q != p;
            p = q;
            p[size - 1] = 1;
            steps++;
        }
        double ns = (now_ns() - t0) / steps;
        faults = minor_faults() - faults;
        if (shmem_my_pe() == 0)
            printf("realloc_touch: rep %d: %.1f ns per step, %d of %d steps moved, %ld page "
                   "faults, block at %p\n", r, ns, moves, steps, faults, (void *)p);
        shmem_free(p);
        shmem_free(keep);
    }
    shmem_finalize();
    return 0;
}
