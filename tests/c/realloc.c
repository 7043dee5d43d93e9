/* realloc keeps contents when growing and shrinking, NULL ptr is malloc, size 0 is free, and a
 * failed realloc returns NULL on every PE and leaves the old block and its contents intact. */
#include "check.h"
#include <string.h>

int main(void) {
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    unsigned char *p = shmem_realloc(NULL, 1000); /* = malloc */
    CHECK(p != NULL);
    for (int i = 0; i < 1000; i++) p[i] = (unsigned char)(i * 7 + me);
    /* A neighbour block forces a move on the next growth. */
    void *blocker = shmem_malloc(64);
    CHECK(blocker != NULL);
    p = shmem_realloc(p, 1 << 20);
    CHECK(p != NULL);
    for (int i = 0; i < 1000; i++) CHECK(p[i] == (unsigned char)(i * 7 + me));
    memset(p + 1000, 0xEE, (1 << 20) - 1000);
    p = shmem_realloc(p, 500); /* shrink keeps the first 500 bytes */
    CHECK(p != NULL);
    for (int i = 0; i < 500; i++) CHECK(p[i] == (unsigned char)(i * 7 + me));
    /* The block is symmetric: a peer reads our contents at the same address. */
    int next = (me + 1) % n;
    unsigned char peer[500];
    shmem_getmem(peer, p, 500, next);
    for (int i = 0; i < 500; i++) CHECK(peer[i] == (unsigned char)(i * 7 + next));
    shmem_barrier_all();
    /* Failure: far more than the heap. NULL everywhere, old block intact. */
    unsigned char *q = shmem_realloc(p, (size_t)1 << 50);
    CHECK(q == NULL);
    for (int i = 0; i < 500; i++) CHECK(p[i] == (unsigned char)(i * 7 + me));
    /* size 0 with a block is free. */
    CHECK(shmem_realloc(p, 0) == NULL);
    shmem_free(blocker);
    printf("realloc: PE %d ok\n", me);
    shmem_finalize();
    return 0;
}
