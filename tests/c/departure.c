/* The last PE leaves while the others block: argv[1] how it leaves ("return" from main without
 * shmem_finalize, "_exit" with status 0, "exit1", "global_exit0"), argv[2] where the others
 * block ("wait_until", "test" loop, "barrier", "malloc", and the OpenSHMEM 1.5 waits:
 * "wait_until_any", "wait_until_all_vector", "signal_wait", "lock" held by the last PE,
 * "team_sync", "broadcast" from the last PE, "reduce", "test_any" loop). The job must end,
 * never hang. */
#include "check.h"
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    CHECK(argc == 3);
    const char *how = argv[1], *where = argv[2];
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    int *flag = shmem_calloc(2, sizeof(int));
    uint64_t *sig = shmem_calloc(1, sizeof(uint64_t));
    long *buf = shmem_calloc(2, sizeof(long));
    static long lock;
    CHECK(flag != NULL && sig != NULL && buf != NULL);
    if (!strcmp(where, "lock") && me == n - 1) shmem_set_lock(&lock);
    shmem_barrier_all();
    if (me == n - 1) {
        sleep_ms(100);
        printf("departure: PE %d leaves (%s)\n", me, how);
        fflush(stdout);
        if (!strcmp(how, "return")) return 0;
        if (!strcmp(how, "_exit")) _exit(0);
        if (!strcmp(how, "exit1")) exit(1);
        if (!strcmp(how, "global_exit0")) shmem_global_exit(0);
        CHECK(0 && "unknown way to leave");
    }
    if (!strcmp(where, "wait_until")) {
        shmem_int_wait_until(flag, SHMEM_CMP_EQ, 1);
    } else if (!strcmp(where, "test")) {
        while (!shmem_int_test(flag, SHMEM_CMP_EQ, 1)) {
        }
    } else if (!strcmp(where, "barrier")) {
        shmem_barrier_all();
        shmem_barrier_all();
    } else if (!strcmp(where, "malloc")) {
        void *a = shmem_malloc(64);
        void *b = shmem_malloc(64);
        printf("departure: PE %d malloc gave %p %p\n", me, a, b);
    } else if (!strcmp(where, "wait_until_any")) {
        (void)shmem_int_wait_until_any(flag, 2, NULL, SHMEM_CMP_EQ, 1);
    } else if (!strcmp(where, "wait_until_all_vector")) {
        int want[2] = {1, 1};
        shmem_int_wait_until_all_vector(flag, 2, NULL, SHMEM_CMP_EQ, want);
    } else if (!strcmp(where, "signal_wait")) {
        (void)shmem_signal_wait_until(sig, SHMEM_CMP_NE, 0);
    } else if (!strcmp(where, "lock")) {
        shmem_set_lock(&lock);
    } else if (!strcmp(where, "team_sync")) {
        shmem_team_sync(SHMEM_TEAM_WORLD);
    } else if (!strcmp(where, "broadcast")) {
        shmem_long_broadcast(SHMEM_TEAM_WORLD, buf, buf + 1, 1, n - 1);
    } else if (!strcmp(where, "reduce")) {
        shmem_long_sum_reduce(SHMEM_TEAM_WORLD, buf, buf + 1, 1);
    } else if (!strcmp(where, "test_any")) {
        while (shmem_int_test_any(flag, 2, NULL, SHMEM_CMP_EQ, 1) == SIZE_MAX) {
        }
    } else {
        CHECK(0 && "unknown place to wait");
    }
    printf("departure: PE %d should not get here\n", me);
    shmem_finalize();
    return 0;
}
