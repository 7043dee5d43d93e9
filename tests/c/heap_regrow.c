/* An emptied heap serves close to its whole size (the default 256 MiB heap, every component):
 * the request sequences of issue 10 item 1, a doubling shmem_realloc up to 128 MiB, then
 * 255 MiB from the emptied heap. With argv "fit N" it only allocates N bytes (the largest free
 * block a SHMEM_DEBUG report named) and expects a block. */
#include "check.h"
#include <string.h>

#define MIB ((size_t)1 << 20)

static void malloc_free(size_t size) {
    char *p = shmem_malloc(size);
    if (p == NULL) fprintf(stderr, "heap_regrow: PE %d: shmem_malloc(%zu) failed\n", shmem_my_pe(), size);
    CHECK(p != NULL);
    p[0] = 1;
    p[size - 1] = 2;
    shmem_free(p);
}

int main(int argc, char **argv) {
    shmem_init();
    int me = shmem_my_pe();
    if (argc == 3 && !strcmp(argv[1], "fit")) {
        malloc_free((size_t)strtoull(argv[2], NULL, 10));
        printf("heap_regrow: PE %d fit ok\n", me);
        shmem_finalize();
        return 0;
    }
    malloc_free(64 * MIB);
    malloc_free(200 * MIB);
    malloc_free(10 * MIB);
    malloc_free(250 * MIB);
    size_t steps[] = {8, 16, 32, 64, 100, 128};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) malloc_free(steps[i] * MIB);
    /* A doubling realloc keeps its contents up to 128 MiB. */
    char *p = shmem_malloc(MIB);
    CHECK(p != NULL);
    for (size_t i = 0; i < MIB; i += 4096) p[i] = (char)(i >> 12);
    for (size_t size = 2 * MIB; size <= 128 * MIB; size *= 2) {
        p = shmem_realloc(p, size);
        if (p == NULL) fprintf(stderr, "heap_regrow: PE %d: shmem_realloc to %zu failed\n", me, size);
        CHECK(p != NULL);
        for (size_t i = 0; i < MIB; i += 4096) CHECK(p[i] == (char)(i >> 12));
    }
    shmem_free(p);
    /* Emptied again: close to the whole heap in one block. */
    malloc_free(255 * MIB);
    /* More than the heap: NULL everywhere (with SHMEM_DEBUG, a report naming the largest free
     * block, which the test then allocates with "fit"). */
    CHECK(shmem_malloc(512 * MIB) == NULL);
    printf("heap_regrow: PE %d ok\n", me);
    shmem_finalize();
    return 0;
}
