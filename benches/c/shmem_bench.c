/*
 * shmem_bench.c - symmetric-heap benchmark written against shmem.h only, so the same source
 * builds with Open MPI's oshcc and with memheap (memheap-cc or cc -lmemheap).
 *
 * usage: shmem_bench HEAP_BYTES [REPS]
 * Every figure is the median over REPS repetitions (default 7). PE 0 prints one line per figure:
 *   RESULT pes=N bench=NAME param=P value=V unit=U
 * Benchmarks: pair (malloc+free of one size), mixed (256 live slots, sizes log-uniform
 * 8 B..128 KiB, free if live else allocate), fill (random 64 B..256 KiB until the heap refuses:
 * bytes placed / heap bytes asked, and / bytes of the mapping that holds the heap, read from
 * /proc/self/maps, because an implementation may map more than it was asked for), realloc (a growth chain 16 B -> 1 MiB in steps of x1.25), align
 * (shmem_align + shmem_free at 64 B..1 MiB alignments), churn (the largest block a heap still
 * serves after a random workload: with its blocks live, and after freeing them all).
 */
#define _POSIX_C_SOURCE 200809L
#include <shmem.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int me, npes, reps = 7;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t rng_state;
static uint64_t rng(void) { /* xorshift64*, same sequence on every PE */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}
static double rng_unit(void) { return (double)(rng() >> 11) / 9007199254740992.0; }

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void report(const char *bench, const char *param, double value, const char *unit) {
    if (me == 0) {
        printf("RESULT pes=%d bench=%s param=%s value=%.2f unit=%s\n", npes, bench, param, value,
               unit);
        fflush(stdout);
    }
}

/* Time of one rep, agreed on by all PEs: the slowest PE's time (a barrier ends each rep). */
static double *slot_time;

static double agree(double t) {
    *slot_time = t;
    shmem_barrier_all();
    double worst = t;
    for (int pe = 0; pe < npes; pe++) {
        double v;
        shmem_getmem(&v, slot_time, sizeof v, pe);
        if (v > worst) worst = v;
    }
    shmem_barrier_all();
    return worst;
}

static void bench_pair(void) {
    static const size_t sizes[] = { 16, 256, 4096, 65536, 1 << 20 };
    static const char *names[] = { "16", "256", "4K", "64K", "1M" };
    const int iters = npes == 1 ? 20000 : 2000;
    double t[64];
    for (int s = 0; s < 5; s++) {
        for (int r = 0; r < reps; r++) {
            shmem_barrier_all();
            double t0 = now_ns();
            for (int i = 0; i < iters; i++) {
                void *p = shmem_malloc(sizes[s]);
                if (!p) { fprintf(stderr, "pair: malloc failed\n"); shmem_global_exit(2); }
                shmem_free(p);
            }
            t[r] = agree((now_ns() - t0) / iters);
        }
        report("pair", names[s], median(t, reps), "ns");
    }
}

#define SLOTS 256
static void bench_mixed(void) {
    const int ops = npes == 1 ? 100000 : 10000;
    static void *slot[SLOTS];
    double t[64];
    for (int r = 0; r < reps; r++) {
        rng_state = 0x9E3779B97F4A7C15ull + (uint64_t)r;
        memset(slot, 0, sizeof slot);
        shmem_barrier_all();
        double t0 = now_ns();
        for (int i = 0; i < ops; i++) {
            int k = (int)(rng() % SLOTS);
            if (slot[k]) {
                shmem_free(slot[k]);
                slot[k] = NULL;
            } else {
                size_t size = (size_t)exp(log(8.0) + rng_unit() * (log(131072.0) - log(8.0)));
                slot[k] = shmem_malloc(size);
                if (!slot[k]) { fprintf(stderr, "mixed: malloc(%zu) failed\n", size); shmem_global_exit(2); }
            }
        }
        double dt = (now_ns() - t0) / ops;
        for (int k = 0; k < SLOTS; k++) if (slot[k]) shmem_free(slot[k]);
        t[r] = agree(dt);
    }
    report("mixed", "256x8B-128K", median(t, reps), "ns");
}

/* Bytes of the mapping (a line of /proc/self/maps) that holds address p; 0 if not found.
 * Plain stdio, so this still builds with any OpenSHMEM compiler wrapper. */
static double mapping_bytes(const void *p) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    double bytes = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long lo, hi;
        if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && lo <= (uintptr_t)p && (uintptr_t)p < hi) {
            bytes = (double)(hi - lo);
            break;
        }
    }
    fclose(f);
    return bytes;
}

static void bench_fill(size_t heap_bytes) {
    static void *blocks[1 << 16];
    double eff[64], eff_mapped[64], mapped = 0;
    for (int r = 0; r < reps; r++) {
        rng_state = 0xC0FFEEull + (uint64_t)r;
        size_t placed = 0;
        int n = 0;
        for (;;) {
            size_t size = 64 + (size_t)(rng() % (256 * 1024 - 64 + 1));
            void *p = n < (1 << 16) ? shmem_malloc(size) : NULL;
            if (!p) break;
            if (n == 0 && mapped == 0) mapped = mapping_bytes(p);
            blocks[n++] = p;
            placed += size;
        }
        for (int i = 0; i < n; i++) shmem_free(blocks[i]);
        eff[r] = 100.0 * (double)placed / (double)heap_bytes;
        eff_mapped[r] = mapped > 0 ? 100.0 * (double)placed / mapped : 0;
    }
    report("fill", "64B-256K", median(eff, reps), "pct");
    report("fill_mapped", "64B-256K", median(eff_mapped, reps), "pct");
    report("heap_mapped", "asked", 100.0 * mapped / (double)heap_bytes, "pct");
}

static void bench_realloc(void) {
    double t[64];
    for (int r = 0; r < reps; r++) {
        void *keep = shmem_malloc(64); /* something live beside the chain */
        shmem_barrier_all();
        double t0 = now_ns();
        int steps = 0;
        size_t size = 16;
        void *p = shmem_malloc(size);
        while (size < (1 << 20)) {
            size += size / 4 + 16;
            p = shmem_realloc(p, size);
            if (!p) { fprintf(stderr, "realloc: failed at %zu\n", size); shmem_global_exit(2); }
            ((char *)p)[size - 1] = 1;
            steps++;
        }
        double dt = (now_ns() - t0) / steps;
        shmem_free(p);
        shmem_free(keep);
        t[r] = agree(dt);
    }
    report("realloc", "16B-1M", median(t, reps), "ns");
}

static void bench_align(void) {
    static const size_t aligns[] = { 64, 4096, 65536, 1 << 20 };
    static const char *names[] = { "64", "4K", "64K", "1M" };
    const int iters = npes == 1 ? 5000 : 1000;
    double t[64];
    for (int a = 0; a < 4; a++) {
        for (int r = 0; r < reps; r++) {
            void *keep = shmem_malloc(100); /* so that the heap start is not trivially aligned */
            shmem_barrier_all();
            double t0 = now_ns();
            for (int i = 0; i < iters; i++) {
                void *p = shmem_align(aligns[a], 1000);
                if (!p || (uintptr_t)p % aligns[a]) { fprintf(stderr, "align failed\n"); shmem_global_exit(2); }
                shmem_free(p);
            }
            double dt = (now_ns() - t0) / iters;
            shmem_free(keep);
            t[r] = agree(dt);
        }
        report("align", names[a], median(t, reps), "ns");
    }
}

/* The largest request in [0, hi] that shmem_malloc serves (to 64 KiB; binary search, so it
 * assumes a smaller request succeeds when a larger one does). */
static size_t largest_block(size_t hi) {
    size_t lo = 0;
    while (hi - lo > 65536) {
        size_t mid = lo + (hi - lo) / 2;
        void *p = shmem_malloc(mid);
        if (p) {
            shmem_free(p);
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Churn: 20000 ops of a 256-slot workload (free if live, else allocate log-uniform 8 B..1 MiB),
 * then the largest block the heap serves with those blocks live and after freeing them all, as
 * % of the heap asked. */
static void bench_churn(size_t heap_bytes) {
    static void *slot[SLOTS];
    double live[64], emptied[64];
    for (int r = 0; r < reps; r++) {
        rng_state = 0xFEEDFACEull + (uint64_t)r;
        memset(slot, 0, sizeof slot);
        for (int i = 0; i < 20000; i++) {
            int k = (int)(rng() % SLOTS);
            if (slot[k]) {
                shmem_free(slot[k]);
                slot[k] = NULL;
            } else {
                size_t size = (size_t)exp(log(8.0) + rng_unit() * (log(1048576.0) - log(8.0)));
                slot[k] = shmem_malloc(size);
            }
        }
        live[r] = 100.0 * (double)largest_block(heap_bytes) / (double)heap_bytes;
        for (int k = 0; k < SLOTS; k++) if (slot[k]) shmem_free(slot[k]);
        emptied[r] = 100.0 * (double)largest_block(heap_bytes) / (double)heap_bytes;
    }
    report("churn_largest", "live", median(live, reps), "pct");
    report("churn_largest", "emptied", median(emptied, reps), "pct");
}

int main(int argc, char **argv) {
    shmem_init();
    me = shmem_my_pe();
    npes = shmem_n_pes();
    if (argc < 2) {
        if (me == 0) fprintf(stderr, "usage: %s HEAP_BYTES [REPS]\n", argv[0]);
        shmem_global_exit(2);
    }
    size_t heap_bytes = strtoull(argv[1], NULL, 10);
    if (argc > 2) reps = atoi(argv[2]);
    if (reps < 1 || reps > 64) reps = 7;
    slot_time = shmem_malloc(sizeof(double));
    bench_pair();
    bench_mixed();
    bench_realloc();
    bench_align();
    shmem_free(slot_time);
    bench_churn(heap_bytes);
    bench_fill(heap_bytes); /* last: it fills the heap */
    shmem_barrier_all();
    shmem_finalize();
    return 0;
}
