/* With SHMEM_DEBUG set, a failed allocation is reported (size, free bytes, largest free block). */
#include "check.h"

int main(void) {
    shmem_init();
    void *p = shmem_malloc((size_t)1 << 41);
    CHECK(p == NULL);
    printf("debug_env: PE %d ok\n", shmem_my_pe());
    shmem_finalize();
    return 0;
}
