/* shmem_align: results are multiples of the alignment as absolute addresses; an alignment that is
 * not a power of two or is below 16 is rounded up to the next power of two >= 16; 0 gives NULL on
 * every PE. */
#include "check.h"
#include <stdint.h>

int main(void) {
    shmem_init();
    for (size_t a = 16; a <= ((size_t)1 << 20); a <<= 1) {
        void *p = shmem_align(a, 100);
        CHECK(p != NULL);
        CHECK((uintptr_t)p % a == 0);
        shmem_free(p);
    }
    struct { size_t asked, got; } odd[] = { {1, 16}, {2, 16}, {4, 16}, {8, 16}, {24, 32},
                                            {63, 64}, {65, 128}, {1000, 1024} };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        void *p = shmem_align(odd[i].asked, 48);
        CHECK(p != NULL);
        CHECK((uintptr_t)p % odd[i].got == 0);
        shmem_free(p);
    }
    CHECK(shmem_align(0, 100) == NULL);
    void *p = shmemalign(256, 10);
    CHECK(p != NULL && (uintptr_t)p % 256 == 0);
    shfree(p);
    printf("align: PE %d ok\n", shmem_my_pe());
    shmem_finalize();
    return 0;
}
