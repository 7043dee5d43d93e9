/* PE 0 returns from main without shmem_finalize while the others still read its static data
 * and its heap: the implicit finalize at exit (with its barrier) keeps PE 0 reachable until
 * everyone is done. */
#include "check.h"

static double value;

int main(void) {
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    double *heap_value = shmem_malloc(sizeof(double));
    CHECK(heap_value != NULL);
    value = me + 0.5;
    *heap_value = me + 0.25;
    shmem_barrier_all();
    if (me == 0) return 0;
    sleep_ms(200);
    for (int i = 0; i < 2000; i++) {
        CHECK(shmem_double_g(&value, 0) == 0.5);
        CHECK(shmem_double_g(heap_value, 0) == 0.25);
    }
    printf("implicit_finalize: PE %d of %d ok\n", me, n);
    return 0;
}
