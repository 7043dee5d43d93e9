/* calloc zero-fills (before returning: a peer can read zeros at once) and refuses
 * count * size overflow with NULL on every PE. */
#include "check.h"
#include <stdint.h>
#include <string.h>

int main(void) {
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    /* Dirty the memory calloc will reuse. */
    unsigned char *dirty = shmem_malloc(1 << 16);
    CHECK(dirty != NULL);
    memset(dirty, 0xAB, 1 << 16);
    shmem_free(dirty);
    unsigned char *z = shmem_calloc(1 << 10, 64);
    CHECK(z != NULL);
    /* Read a peer's block right after the exit barrier: it must already be zero. */
    unsigned char buf[1 << 16];
    shmem_getmem(buf, z, sizeof buf, (me + 1) % n);
    for (size_t i = 0; i < sizeof buf; i++) CHECK(buf[i] == 0 && z[i] == 0);
    CHECK(shmem_calloc(SIZE_MAX / 2, 3) == NULL);
    CHECK(shmem_calloc((size_t)1 << 33, (size_t)1 << 33) == NULL);
    shmem_free(z);
    printf("calloc: PE %d ok\n", me);
    shmem_finalize();
    return 0;
}
