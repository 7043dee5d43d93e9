/* A token goes around the ring twice: once through a static variable, once through the heap. */
#include "check.h"

static long token_static = -1;

int main(void) {
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    int next = (me + 1) % n;
    long *token_heap = shmem_malloc(sizeof(long));
    CHECK(token_heap != NULL);
    *token_heap = -1;
    shmem_barrier_all();
    /* Lap 1: static. PE 0 starts; each PE waits for the token and passes token + 1. */
    if (me == 0) shmem_long_p(&token_static, 1, next);
    if (n > 1 || me != 0) {
        shmem_long_wait_until(&token_static, SHMEM_CMP_NE, -1);
        if (me != 0) shmem_long_p(&token_static, token_static + 1, next);
    }
    shmem_barrier_all();
    CHECK(token_static == (me == 0 ? n : me));
    /* Lap 2: heap, with put and get. */
    if (me == 0) shmem_long_put(token_heap, &(long){100}, 1, next);
    if (n > 1 || me != 0) {
        shmem_long_wait_until(token_heap, SHMEM_CMP_NE, -1);
        if (me != 0) {
            long v = *token_heap + 1;
            shmem_long_put(token_heap, &v, 1, next);
        }
    }
    shmem_barrier_all();
    CHECK(*token_heap == (me == 0 ? 99 + n : 100 + me - 1));
    long seen = shmem_long_g(token_heap, next);
    CHECK(seen == (next == 0 ? 99 + n : 100 + next - 1));
    shmem_barrier_all();
    shmem_free(token_heap);
    printf("ring: PE %d ok\n", me);
    shmem_finalize();
    return 0;
}
