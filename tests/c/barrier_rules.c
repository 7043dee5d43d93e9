/* Barrier placement: malloc, calloc, align and malloc_with_hints return only after every PE has
 * entered them (barrier on exit); free does not start until every PE has entered it (barrier on
 * entry); realloc has both. PE 0 enters each call late; the others must be held until it does. */
#include "check.h"

#define LATE_MS 300
#define MIN_WAIT 0.25

static int me;

static void late(void) {
    if (me == 0) sleep_ms(LATE_MS);
}

#define HELD(stmt)                                                                       \
    do {                                                                                 \
        late();                                                                          \
        double t0 = now_seconds();                                                       \
        stmt;                                                                            \
        double waited = now_seconds() - t0;                                              \
        if (me != 0) CHECK(waited >= MIN_WAIT);                                          \
    } while (0)

int main(void) {
    shmem_init();
    me = shmem_my_pe();
    void *a, *b, *c, *d;
    HELD(a = shmem_malloc(1000));
    HELD(b = shmem_calloc(10, 100));
    HELD(c = shmem_align(4096, 1000));
    HELD(d = shmem_malloc_with_hints(1000, SHMEM_MALLOC_SIGNAL_REMOTE));
    CHECK(a && b && c && d);
    HELD(a = shmem_realloc(a, 100000));
    CHECK(a != NULL);
    HELD(shmem_free(a));
    HELD(shmem_free(b));
    HELD(shmem_free(c));
    HELD(shmem_free(d));
    printf("barrier_rules: PE %d ok\n", me);
    shmem_finalize();
    return 0;
}
