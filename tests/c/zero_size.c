/* Size 0 (calloc: count or size 0) gives NULL and no barrier: only PE 0 makes these calls, so a
 * barrier inside any of them would hang the job (the launcher's timeout then fails the test). */
#include "check.h"

int main(void) {
    shmem_init();
    if (shmem_my_pe() == 0) {
        for (int i = 0; i < 3; i++) {
            CHECK(shmem_malloc(0) == NULL);
            CHECK(shmem_calloc(0, 8) == NULL);
            CHECK(shmem_calloc(8, 0) == NULL);
            CHECK(shmem_align(64, 0) == NULL);
            CHECK(shmem_malloc_with_hints(0, SHMEM_MALLOC_ATOMICS_REMOTE) == NULL);
            CHECK(shmalloc(0) == NULL);
            shmem_free(NULL); /* no action, no barrier */
            shfree(NULL);
        }
    }
    shmem_barrier_all();
    /* realloc(NULL, 0) is malloc(0): NULL, no barrier. */
    if (shmem_my_pe() == 0) CHECK(shmem_realloc(NULL, 0) == NULL);
    shmem_barrier_all();
    printf("zero_size: PE %d ok\n", shmem_my_pe());
    shmem_finalize();
    return 0;
}
