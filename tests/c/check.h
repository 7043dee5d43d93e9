/* Shared by the C tests: CHECK prints the PE, file and line, and ends the whole job. */
#ifndef MEMHEAP_TEST_CHECK_H
#define MEMHEAP_TEST_CHECK_H
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <shmem.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "FAIL pe %d %s:%d: %s\n", shmem_my_pe(), __FILE__, __LINE__,    \
                    #cond);                                                                 \
            fflush(stderr);                                                                 \
            shmem_global_exit(1);                                                           \
        }                                                                                   \
    } while (0)

static inline double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void sleep_ms(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}
#endif
