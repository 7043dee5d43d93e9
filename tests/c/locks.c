/* Distributed locks: a read-modify-write of a plain (non-atomic) counter on PE 0 by get and
 * put, done by every PE many times under shmem_set_lock, must lose no update; shmem_test_lock
 * succeeds only when the lock is free. */
#include "check.h"

#define ROUNDS 300

static long lock = 0;
static long counter = 0;
static long try_lock = 0;

int main(void) {
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    for (int i = 0; i < ROUNDS; i++) {
        shmem_set_lock(&lock);
        long v = shmem_long_g(&counter, 0);
        if (i % 50 == 0) sleep_ms(1); /* widen the window a lost update would need */
        shmem_long_p(&counter, v + 1, 0);
        shmem_clear_lock(&lock);
    }
    shmem_barrier_all();
    if (me == 0) CHECK(counter == (long)ROUNDS * n);

    /* test_lock: PE 0 holds the lock; every other PE fails to take it; after release one
     * PE at a time takes it. */
    if (me == 0) CHECK(shmem_test_lock(&try_lock) == 0);
    shmem_barrier_all();
    if (me != 0) CHECK(shmem_test_lock(&try_lock) == 1);
    shmem_barrier_all();
    if (me == 0) shmem_clear_lock(&try_lock);
    shmem_barrier_all();
    while (shmem_test_lock(&try_lock) != 0) sleep_ms(1);
    static long holders;
    CHECK(shmem_long_atomic_fetch_inc(&holders, 0) == 0); /* nobody else holds it */
    sleep_ms(2);
    CHECK(shmem_long_atomic_fetch_add(&holders, -1, 0) == 1);
    shmem_clear_lock(&try_lock);
    shmem_barrier_all();
    printf("locks: PE %d ok\n", me);
    shmem_finalize();
    return 0;
}
