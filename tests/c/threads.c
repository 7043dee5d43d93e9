/* SHMEM_THREAD_MULTIPLE: several threads of every PE in the library at once.
 *
 * Each of T worker threads puts into its own slot on every PE, gets it back, adds to counters
 * with atomics, takes a distributed lock around a non-atomic read-modify-write on PE 0, and
 * waits (wait_until, wait_until_any, signal_wait_until) for values that a worker thread of
 * the left neighbour sets. Meanwhile the main thread allocates and frees symmetric memory
 * and runs collectives on a team, the operations the specification lets one thread per PE
 * do while others communicate. */
#include "check.h"
#include <pthread.h>
#include <stdint.h>

#define T 6
#define ITERS 200
#define MAX_PES 32

static long slots[MAX_PES][T];
static long counter;
static long locked_counter;
static long lock;
static long flags[T];
static uint64_t signals[T];
static int n, me;

static void *worker(void *arg) {
    int t = (int)(intptr_t)arg;
    int right = (me + 1) % n;
    for (int i = 0; i < ITERS; i++) {
        long v = (long)me * 1000000 + t * 1000 + i;
        for (int pe = 0; pe < n; pe++) {
            shmem_long_p(&slots[me][t], v, pe);
            CHECK(shmem_long_g(&slots[me][t], pe) == v); /* nobody else writes this slot */
            shmem_long_atomic_inc(&counter, pe);
        }
        if (i % 20 == 0) {
            shmem_set_lock(&lock);
            long c = shmem_long_g(&locked_counter, 0);
            shmem_long_p(&locked_counter, c + 1, 0);
            shmem_clear_lock(&lock);
        }
    }
    /* Hand-offs between threads of neighbouring PEs. */
    shmem_long_atomic_set(&flags[t], 1, right);
    shmem_long_wait_until(&flags[t], SHMEM_CMP_GE, 1); /* 1, or already 2 */
    long two = 2;
    shmem_long_put_signal(&flags[t], &two, 1, &signals[t], 1, SHMEM_SIGNAL_ADD, right);
    CHECK(shmem_signal_wait_until(&signals[t], SHMEM_CMP_GE, 1) == 1);
    CHECK(flags[t] == 2);
    int status[1] = {0};
    CHECK(shmem_long_wait_until_any(&flags[t], 1, status, SHMEM_CMP_EQ, 2) == 0);
    return NULL;
}

int main(void) {
    int provided = -1;
    CHECK(shmem_init_thread(SHMEM_THREAD_MULTIPLE, &provided) == 0);
    CHECK(provided == SHMEM_THREAD_MULTIPLE);
    int q = -1;
    shmem_query_thread(&q);
    CHECK(q == SHMEM_THREAD_MULTIPLE);
    me = shmem_my_pe();
    n = shmem_n_pes();
    CHECK(n <= MAX_PES);
    shmem_barrier_all();

    pthread_t th[T];
    for (int t = 0; t < T; t++)
        CHECK(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) == 0);
    /* The main thread: collective allocation and team collectives while the workers run. */
    shmem_team_t team;
    CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, 0, 1, n, NULL, 0, &team) == 0);
    for (int i = 0; i < 50; i++) {
        long *p = shmem_malloc((size_t)(i + 1) * 64);
        CHECK(p != NULL);
        p[0] = me + i;
        static long sum;
        CHECK(shmem_long_sum_reduce(team, &sum, p, 1) == 0);
        CHECK(sum == (long)n * (n - 1) / 2 + (long)n * i);
        p = shmem_realloc(p, (size_t)(i + 2) * 128);
        CHECK(p != NULL && p[0] == me + i);
        shmem_free(p);
    }
    shmem_team_destroy(team);
    for (int t = 0; t < T; t++) CHECK(pthread_join(th[t], NULL) == 0);
    shmem_barrier_all();
    CHECK(counter == (long)n * T * ITERS);
    for (int p = 0; p < n; p++)
        for (int t = 0; t < T; t++) CHECK(slots[p][t] == (long)p * 1000000 + t * 1000 + ITERS - 1);
    if (me == 0) CHECK(locked_counter == (long)n * T * (ITERS / 20));
    printf("threads: PE %d ok\n", me);
    shmem_finalize();
    return 0;
}
