/* An asymmetric collective call: PE 0 asks for a different size than the others. With call
 * checking on (SHMEM_DEBUG), every PE must report every PE's arguments and the job must end
 * non-zero instead of diverging silently. */
#include "check.h"

int main(void) {
    shmem_init();
    size_t size = shmem_my_pe() == 0 ? 100 : 200;
    void *p = shmem_malloc(size);
    printf("asymmetric: PE %d went on with %p\n", shmem_my_pe(), p);
    shmem_finalize();
    return 0;
}
