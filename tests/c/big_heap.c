/* A huge symmetric heap (run with SHMEM_SYMMETRIC_SIZE=1T) initialises with little resident
 * memory: the peak resident set after shmem_init and a few allocations stays under 64 MiB. */
#include "check.h"
#include <string.h>

static long peak_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    CHECK(f != NULL);
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kib = atol(line + 6);
    fclose(f);
    return kib;
}

int main(void) {
    shmem_init();
    int me = shmem_my_pe();
    long after_init = peak_kib();
    char *small = shmem_malloc(100);
    char *large = shmem_malloc((size_t)16 << 30);
    CHECK(small != NULL && large != NULL);
    small[99] = 1;
    large[0] = 1;
    large[((size_t)16 << 30) - 1] = 2;
    shmem_barrier_all();
    shmem_free(large);
    shmem_free(small);
    long peak = peak_kib();
    printf("big_heap: PE %d ok: peak resident %ld KiB after shmem_init, %ld KiB at the end\n", me,
           after_init, peak);
    CHECK(peak > 0 && peak < 64 * 1024);
    shmem_finalize();
    return 0;
}
