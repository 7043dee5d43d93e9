/* shmem_TYPE_wait_until and shmem_TYPE_test with every comparison: PE 0 sets flags on the others
 * after a delay; they wait. */
#include "check.h"

#define WAIT_CASE(TYPE, NAME)                                                                 \
    {                                                                                         \
        TYPE *flag = shmem_calloc(1, sizeof(TYPE));                                           \
        CHECK(flag != NULL);                                                                  \
        CHECK(shmem_##NAME##_test(flag, SHMEM_CMP_EQ, (TYPE)0));                              \
        CHECK(!shmem_##NAME##_test(flag, SHMEM_CMP_NE, (TYPE)0));                             \
        CHECK(shmem_##NAME##_test(flag, SHMEM_CMP_LE, (TYPE)0));                              \
        CHECK(shmem_##NAME##_test(flag, SHMEM_CMP_GE, (TYPE)0));                              \
        CHECK(!shmem_##NAME##_test(flag, SHMEM_CMP_LT, (TYPE)0));                             \
        CHECK(!shmem_##NAME##_test(flag, SHMEM_CMP_GT, (TYPE)0));                             \
        shmem_barrier_all();                                                                  \
        if (me == 0) {                                                                        \
            sleep_ms(20);                                                                     \
            for (int pe = 1; pe < n; pe++) shmem_##NAME##_p(flag, (TYPE)7, pe);               \
            shmem_quiet();                                                                    \
        } else {                                                                              \
            shmem_##NAME##_wait_until(flag, SHMEM_CMP_GT, (TYPE)5);                           \
            CHECK(*flag == (TYPE)7);                                                          \
            shmem_##NAME##_wait_until(flag, SHMEM_CMP_EQ, (TYPE)7);                           \
            shmem_##NAME##_wait_until(flag, SHMEM_CMP_NE, (TYPE)0);                           \
            shmem_##NAME##_wait_until(flag, SHMEM_CMP_GE, (TYPE)7);                           \
            shmem_##NAME##_wait_until(flag, SHMEM_CMP_LT, (TYPE)8);                           \
            shmem_##NAME##_wait_until(flag, SHMEM_CMP_LE, (TYPE)7);                           \
        }                                                                                     \
        shmem_barrier_all();                                                                  \
        shmem_free(flag);                                                                     \
        cases++;                                                                              \
    }

int main(void) {
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    int cases = 0;
    MEMHEAP_SHMEM_WAIT_TYPES(WAIT_CASE)
    CHECK(cases == 14);
    printf("wait_test: PE %d ok\n", me);
    shmem_finalize();
    return 0;
}
