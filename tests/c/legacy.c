/* The deprecated names: start_pes, _my_pe, _num_pes, shmalloc, shfree, shrealloc, shmemalign. */
#include "check.h"
#include <stdint.h>

int main(void) {
    start_pes(0);
    CHECK(_my_pe() == shmem_my_pe());
    CHECK(_num_pes() == shmem_n_pes());
    int *p = shmalloc(100 * sizeof(int));
    CHECK(p != NULL);
    for (int i = 0; i < 100; i++) p[i] = i;
    p = shrealloc(p, 10000 * sizeof(int));
    CHECK(p != NULL);
    for (int i = 0; i < 100; i++) CHECK(p[i] == i);
    void *q = shmemalign(4096, 10);
    CHECK(q != NULL && (uintptr_t)q % 4096 == 0);
    shfree(q);
    shfree(p);
    printf("legacy: PE %d ok\n", _my_pe());
    return 0; /* start_pes programs need not call shmem_finalize */
}
