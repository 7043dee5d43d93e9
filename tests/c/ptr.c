/* shmem_ptr gives a usable address for every PE on this machine; shmem_addr_accessible is 1 for
 * heap and static/global data and 0 for the stack; shmem_pe_accessible. */
#include "check.h"

int global_counter = 0;
static long static_array[8];

int main(void) {
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    int *block = shmem_malloc(n * sizeof(int));
    CHECK(block != NULL);
    for (int i = 0; i < n; i++) block[i] = -1;
    int on_stack = 5;
    shmem_barrier_all();
    CHECK(shmem_ptr(block, me) == block);
    for (int pe = 0; pe < n; pe++) {
        CHECK(shmem_pe_accessible(pe) == 1);
        CHECK(shmem_addr_accessible(block, pe) == 1);
        CHECK(shmem_addr_accessible(&block[n - 1], pe) == 1);
        CHECK(shmem_addr_accessible(&global_counter, pe) == 1);
        CHECK(shmem_addr_accessible(&static_array[3], pe) == 1);
        CHECK(shmem_addr_accessible(&on_stack, pe) == 0);
        int *remote = shmem_ptr(block, pe);
        CHECK(remote != NULL);
        remote[me] = me * 10; /* a store through the mapping */
    }
    CHECK(shmem_ptr(&on_stack, me) == NULL || shmem_ptr(&on_stack, me) == &on_stack);
    shmem_barrier_all();
    for (int i = 0; i < n; i++) CHECK(block[i] == i * 10);
    /* Loads through the mapping see the peer's data. */
    int *right = shmem_ptr(block, (me + 1) % n);
    CHECK(right[me] == me * 10);
    CHECK(shmem_pe_accessible(n) == 0);
    CHECK(shmem_pe_accessible(-1) == 0);
    shmem_barrier_all();
    shmem_free(block);
    printf("ptr: PE %d ok\n", me);
    shmem_finalize();
    return 0;
}
