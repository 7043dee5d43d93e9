/* Exhaustion: a request larger than the heap gives NULL on every PE and nobody hangs; the heap
 * recovers; filling the heap block by block fails on the same step everywhere. */
#include "check.h"

int main(void) {
    shmem_init();
    int me = shmem_my_pe();
    CHECK(shmem_malloc((size_t)1 << 40) == NULL);
    CHECK(shmem_align(4096, (size_t)1 << 40) == NULL);
    void *ok = shmem_malloc(1024);
    CHECK(ok != NULL);
    void *blocks[4096];
    int n = 0;
    while (n < 4096 && (blocks[n] = shmem_malloc(1 << 18)) != NULL) n++;
    CHECK(n > 0 && n < 4096);
    int *count = shmem_malloc(sizeof(int)); /* may fail: the heap is full */
    for (int i = 0; i < n; i++) shmem_free(blocks[i]);
    if (count) shmem_free(count);
    void *again = shmem_malloc(1 << 18);
    CHECK(again != NULL);
    shmem_free(again);
    shmem_free(ok);
    printf("exhaustion: PE %d ok (%d blocks of 256 KiB before failure)\n", me, n);
    shmem_finalize();
    return 0;
}
