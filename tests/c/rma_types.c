/* Every standard RMA type through put, get, p, g, iput and iget; the sized routines; putmem and
 * getmem; and the C11 generic macros. Each PE writes to its right neighbour. */
#include "check.h"
#include <string.h>

#define N 8

#define TEST_TYPE(TYPE, NAME)                                                                 \
    {                                                                                         \
        TYPE *dst = shmem_malloc(4 * N * sizeof(TYPE));                                       \
        CHECK(dst != NULL);                                                                   \
        memset(dst, 0, 4 * N * sizeof(TYPE));                                                 \
        TYPE src[N];                                                                          \
        for (int i = 0; i < N; i++) src[i] = (TYPE)(me * 10 + i + 1);                         \
        shmem_barrier_all();                                                                  \
        shmem_##NAME##_put(dst, src, N, right);                                               \
        shmem_##NAME##_p(&dst[N], (TYPE)(me + 1), right);                                     \
        shmem_##NAME##_iput(&dst[2 * N], src, 2, 1, N / 2, right); /* stride 2 at dest */     \
        shmem_barrier_all();                                                                  \
        for (int i = 0; i < N; i++) CHECK(dst[i] == (TYPE)(left * 10 + i + 1));               \
        CHECK(dst[N] == (TYPE)(left + 1));                                                    \
        for (int i = 0; i < N / 2; i++) {                                                     \
            CHECK(dst[2 * N + 2 * i] == (TYPE)(left * 10 + i + 1));                           \
            CHECK(dst[2 * N + 2 * i + 1] == (TYPE)0);                                         \
        }                                                                                     \
        TYPE got[N];                                                                          \
        shmem_##NAME##_get(got, dst, N, right);                                               \
        for (int i = 0; i < N; i++) CHECK(got[i] == (TYPE)(me * 10 + i + 1));                 \
        CHECK(shmem_##NAME##_g(&dst[N], right) == (TYPE)(me + 1));                            \
        TYPE strided[N / 2];                                                                  \
        shmem_##NAME##_iget(strided, &dst[2 * N], 1, 2, N / 2, right);                        \
        for (int i = 0; i < N / 2; i++) CHECK(strided[i] == (TYPE)(me * 10 + i + 1));         \
        shmem_barrier_all();                                                                  \
        shmem_free(dst);                                                                      \
        types++;                                                                              \
    }

int main(void) {
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    int right = (me + 1) % n, left = (me + n - 1) % n;
    int types = 0;
    MEMHEAP_SHMEM_RMA_TYPES(TEST_TYPE)
    CHECK(types == 24);

    /* Sized routines. */
    unsigned char *buf = shmem_calloc(16 * N, 2);
    unsigned char pat[16 * N];
    for (int i = 0; i < 16 * N; i++) pat[i] = (unsigned char)(me + i);
    shmem_barrier_all();
    shmem_put8(buf, pat, N, right);
    shmem_put16(buf + 16, pat, N, right);
    shmem_put32(buf + 48, pat, N, right);
    shmem_put64(buf + 96, pat, N, right);
    shmem_put128(buf + 256, pat, N, right);
    shmem_barrier_all();
    for (int i = 0; i < N; i++) CHECK(buf[i] == (unsigned char)(left + i));
    for (int i = 0; i < 2 * N; i++) CHECK(buf[16 + i] == (unsigned char)(left + i));
    for (int i = 0; i < 4 * N; i++) CHECK(buf[48 + i] == (unsigned char)(left + i));
    for (int i = 0; i < 8 * N; i++) CHECK(buf[96 + i] == (unsigned char)(left + i));
    for (int i = 0; i < 16 * N; i++) CHECK(buf[256 + i] == (unsigned char)(left + i));
    unsigned char back[16 * N];
    shmem_get128(back, buf + 256, N, right);
    for (int i = 0; i < 16 * N; i++) CHECK(back[i] == (unsigned char)(me + i));
    shmem_get8(back, buf, N, right);
    shmem_get16(back, buf + 16, N, right);
    shmem_get32(back, buf + 48, N, right);
    shmem_get64(back, buf + 96, N, right);
    for (int i = 0; i < 8 * N; i++) CHECK(back[i] == (unsigned char)(me + i));
    shmem_barrier_all();
    shmem_free(buf);

    /* Generic macros. */
    long *lg = shmem_malloc(N * sizeof(long));
    double *dg = shmem_malloc(sizeof(double));
    long lsrc[N];
    for (int i = 0; i < N; i++) lsrc[i] = me * 100 + i;
    shmem_barrier_all();
    shmem_put(lg, lsrc, N, right);
    shmem_p(dg, 0.5 * me, right);
    shmem_barrier_all();
    for (int i = 0; i < N; i++) CHECK(lg[i] == left * 100 + i);
    CHECK(*dg == 0.5 * left);
    long lget[N];
    shmem_get(lget, lg, N, right);
    CHECK(lget[N - 1] == me * 100 + N - 1);
    CHECK(shmem_g(dg, right) == 0.5 * me);
    shmem_barrier_all();
    shmem_free(lg);
    shmem_free(dg);
    printf("rma_types: PE %d ok (%d types)\n", me, types);
    shmem_finalize();
    return 0;
}
