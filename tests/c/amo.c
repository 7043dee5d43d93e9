/* Atomic memory operations from every PE at once, for every type of each class, on heap and
 * static targets, in the plain, context, _nbi, deprecated and C11 generic forms.
 *
 * Each check depends on atomicity: concurrent adds must all land, fetch_inc must hand out
 * every value exactly once, exactly one compare_swap may win, and the swapped values must be
 * a permutation. */
#include "check.h"

#define ITERS 200
#define MAX_PES 64

static long s_long;               /* a static target */
static unsigned int s_bits;       /* a static bitwise target */
static int s_seen[MAX_PES * ITERS];

/* Standard AMO types: add/inc (heap and static), fetch_inc uniqueness, compare_swap (one
 * winner), swap (a permutation), set/fetch, and the _nbi and context forms. */
#define STD_CASE(TYPE, NAME)                                                                  \
    {                                                                                         \
        static TYPE st;                                                                       \
        TYPE *h = shmem_calloc(2, sizeof(TYPE));                                              \
        int *seen = shmem_calloc((size_t)n * ITERS, sizeof(int));                             \
        CHECK(h != NULL && seen != NULL);                                                     \
        st = 0;                                                                               \
        shmem_barrier_all();                                                                  \
        for (int i = 0; i < ITERS; i++)                                                       \
            for (int pe = 0; pe < n; pe++) {                                                  \
                shmem_##NAME##_atomic_add(&h[0], (TYPE)2, pe);                                \
                shmem_##NAME##_atomic_inc(&st, pe);                                           \
                shmem_ctx_##NAME##_atomic_inc(ctx, &h[0], pe);                                \
            }                                                                                 \
        shmem_barrier_all();                                                                  \
        CHECK(h[0] == (TYPE)(3 * n * ITERS));                                                 \
        CHECK(st == (TYPE)(n * ITERS));                                                       \
        /* fetch_inc / fetch_add hand out 0 .. n*ITERS-1 exactly once (on PE 0's h[1]). */   \
        for (int i = 0; i < ITERS; i++) {                                                     \
            TYPE v;                                                                           \
            if (i % 3 == 0)                                                                   \
                v = shmem_##NAME##_atomic_fetch_inc(&h[1], 0);                                \
            else if (i % 3 == 1)                                                              \
                v = shmem_##NAME##_atomic_fetch_add(&h[1], (TYPE)1, 0);                       \
            else {                                                                            \
                shmem_##NAME##_atomic_fetch_inc_nbi(&v, &h[1], 0);                            \
                shmem_quiet();                                                                \
            }                                                                                 \
            CHECK((unsigned long long)(long long)v < (unsigned long long)n * ITERS);         \
            shmem_int_atomic_add(&seen[(long long)v], 1, 0);                                  \
        }                                                                                     \
        shmem_barrier_all();                                                                  \
        if (me == 0)                                                                          \
            for (int i = 0; i < n * ITERS; i++) CHECK(seen[i] == 1);                          \
        /* compare_swap: exactly one PE replaces 0. */                                        \
        h[1] = 0;                                                                             \
        shmem_barrier_all();                                                                  \
        TYPE old = shmem_##NAME##_atomic_compare_swap(&h[1], (TYPE)0, (TYPE)(me + 1), 0);     \
        int won = old == 0;                                                                   \
        int *wins = shmem_calloc(1, sizeof(int));                                             \
        CHECK(wins != NULL);                                                                  \
        if (won) shmem_int_atomic_inc(wins, 0);                                               \
        shmem_barrier_all();                                                                  \
        if (me == 0) {                                                                        \
            CHECK(*wins == 1);                                                                \
            CHECK(h[1] >= (TYPE)1 && h[1] <= (TYPE)n);                                        \
        }                                                                                     \
        /* compare_swap that fails leaves the value and returns it. */                       \
        TYPE cur = shmem_##NAME##_atomic_fetch(&h[1], 0);                                     \
        CHECK(shmem_##NAME##_atomic_compare_swap(&h[1], (TYPE)(cur + 1), (TYPE)99, 0) == cur);\
        shmem_barrier_all();                                                                  \
        /* swap: the old values returned plus the final one are {0, 1, ..., n}. */            \
        h[1] = 0;                                                                             \
        for (int i = 0; i <= n; i++) seen[i] = 0;                                             \
        shmem_barrier_all();                                                                  \
        old = shmem_##NAME##_atomic_swap(&h[1], (TYPE)(me + 1), 0);                           \
        shmem_int_atomic_inc(&seen[(int)old], 0);                                             \
        shmem_barrier_all();                                                                  \
        if (me == 0) {                                                                        \
            seen[(int)h[1]]++;                                                                \
            for (int i = 0; i <= n; i++) CHECK(seen[i] == 1);                                 \
        }                                                                                     \
        shmem_barrier_all();                                                                  \
        /* set / fetch / swap_nbi / compare_swap_nbi / fetch_add_nbi to the right neighbour. */\
        int right = (me + 1) % n, left = (me + n - 1) % n;                                    \
        shmem_##NAME##_atomic_set(&h[0], (TYPE)(me + 5), right);                              \
        shmem_barrier_all();                                                                  \
        CHECK(h[0] == (TYPE)(left + 5));                                                      \
        CHECK(shmem_##NAME##_atomic_fetch(&h[0], right) == (TYPE)(me + 5));                   \
        shmem_barrier_all();                                                                  \
        TYPE f1 = 0, f2 = 0, f3 = 0;                                                          \
        shmem_##NAME##_atomic_swap_nbi(&f1, &h[0], (TYPE)10, right);                          \
        shmem_##NAME##_atomic_compare_swap_nbi(&f2, &h[0], (TYPE)10, (TYPE)20, right);        \
        shmem_##NAME##_atomic_fetch_add_nbi(&f3, &h[0], (TYPE)3, right);                      \
        shmem_quiet();                                                                        \
        CHECK(f1 == (TYPE)(me + 5) && f2 == (TYPE)10 && f3 == (TYPE)20);                      \
        shmem_##NAME##_atomic_fetch_nbi(&f1, &h[0], right);                                   \
        shmem_quiet();                                                                        \
        CHECK(f1 == (TYPE)23);                                                                \
        CHECK(shmem_ctx_##NAME##_atomic_fetch(ctx, &h[0], right) == (TYPE)23);                \
        CHECK(shmem_ctx_##NAME##_atomic_fetch_add(ctx, &h[0], (TYPE)1, right) == (TYPE)23);   \
        shmem_barrier_all();                                                                  \
        shmem_free(wins);                                                                     \
        shmem_free(seen);                                                                     \
        shmem_free(h);                                                                        \
        cases++;                                                                              \
    }

/* Bitwise AMO types: every PE clears (and), sets (or) and toggles twice (xor) its own bit. */
#define BIT_CASE(TYPE, NAME)                                                                  \
    {                                                                                         \
        TYPE *v = shmem_malloc(3 * sizeof(TYPE));                                             \
        CHECK(v != NULL);                                                                     \
        v[0] = (TYPE)~(TYPE)0;                                                                \
        v[1] = 0;                                                                             \
        v[2] = 0;                                                                             \
        shmem_barrier_all();                                                                  \
        TYPE bit = (TYPE)((TYPE)1 << me);                                                     \
        for (int pe = 0; pe < n; pe++) {                                                      \
            TYPE o = shmem_##NAME##_atomic_fetch_and(&v[0], (TYPE)~bit, pe);                  \
            CHECK((o & bit) != 0);                                                            \
            shmem_##NAME##_atomic_or(&v[1], bit, pe);                                         \
            shmem_##NAME##_atomic_xor(&v[2], bit, pe);                                        \
            o = shmem_##NAME##_atomic_fetch_xor(&v[2], bit, pe);                              \
            CHECK((o & bit) != 0);                                                            \
            shmem_##NAME##_atomic_fetch_or_nbi(&o, &v[1], bit, pe);                           \
            shmem_quiet();                                                                    \
            CHECK((o & bit) != 0);                                                            \
        }                                                                                     \
        shmem_barrier_all();                                                                  \
        TYPE all = (TYPE)(((TYPE)1 << n) - 1);                                                \
        CHECK(v[0] == (TYPE)~all);                                                            \
        CHECK(v[1] == all);                                                                   \
        CHECK(v[2] == 0);                                                                     \
        shmem_barrier_all();                                                                  \
        shmem_free(v);                                                                        \
        cases++;                                                                              \
    }

/* float and double: set, fetch and swap move the exact bits. */
#define EXT_CASE(TYPE, NAME)                                                                  \
    {                                                                                         \
        TYPE *v = shmem_malloc(sizeof(TYPE));                                                 \
        CHECK(v != NULL);                                                                     \
        int right = (me + 1) % n, left = (me + n - 1) % n;                                    \
        shmem_##NAME##_atomic_set(v, (TYPE)me + (TYPE)0.25, right);                           \
        shmem_barrier_all();                                                                  \
        CHECK(*v == (TYPE)left + (TYPE)0.25);                                                 \
        CHECK(shmem_##NAME##_atomic_fetch(v, right) == (TYPE)me + (TYPE)0.25);                \
        shmem_barrier_all();                                                                  \
        CHECK(shmem_##NAME##_atomic_swap(v, (TYPE)-1.5, right) == (TYPE)me + (TYPE)0.25);     \
        shmem_barrier_all();                                                                  \
        CHECK(*v == (TYPE)-1.5);                                                              \
        CHECK(shmem_##NAME##_fetch(v, me) == (TYPE)-1.5);                                     \
        shmem_barrier_all();                                                                  \
        shmem_free(v);                                                                        \
        cases++;                                                                              \
    }

int main(void) {
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    CHECK(n <= MAX_PES);
    int cases = 0;
    shmem_ctx_t ctx;
    CHECK(shmem_ctx_create(SHMEM_CTX_PRIVATE, &ctx) == 0);

    MEMHEAP_SHMEM_AMO_STD_TYPES(STD_CASE)
    CHECK(cases == 12);
    if (n < 32) {
        MEMHEAP_SHMEM_AMO_BIT_TYPES(BIT_CASE)
        CHECK(cases == 19);
    }
    EXT_CASE(float, float)
    EXT_CASE(double, double)

    /* Static targets and the deprecated names: every PE adds to every PE's s_long. */
    s_long = 0;
    s_bits = 0;
    shmem_barrier_all();
    for (int pe = 0; pe < n; pe++) {
        shmem_long_add(&s_long, 3, pe);
        shmem_long_inc(&s_long, pe);
        (void)shmem_long_fadd(&s_long, 1, pe);
        (void)shmem_long_finc(&s_long, pe);
        shmem_uint_atomic_or(&s_bits, 1u << (me % 32), pe);
    }
    shmem_barrier_all();
    CHECK(s_long == 6L * n);
    CHECK(s_bits == (n >= 32 ? ~0u : (1u << n) - 1));
    CHECK(s_seen[0] == 0);
    shmem_barrier_all();
    /* Deprecated cswap/swap/set/fetch on static data. */
    if (me == 0) s_long = 0;
    shmem_barrier_all();
    long prev = shmem_long_cswap(&s_long, 0, me + 1, 0);
    int *winners = shmem_calloc(1, sizeof(int));
    CHECK(winners != NULL);
    if (prev == 0) shmem_int_atomic_inc(winners, 0);
    shmem_barrier_all();
    if (me == 0) CHECK(*winners == 1);
    shmem_barrier_all();
    shmem_int_set(&s_seen[me], me + 40, 0);
    shmem_barrier_all();
    if (me == 0)
        for (int pe = 0; pe < n; pe++) CHECK(shmem_int_fetch(&s_seen[pe], 0) == pe + 40);
    long before = s_long;
    CHECK(shmem_long_swap(&s_long, 5, me) == before);
    CHECK(s_long == 5);
    CHECK(shmem_long_fetch(&s_long, me) == 5);
    shmem_long_set(&s_long, 6, me);
    CHECK(s_long == 6);

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
    /* C11 generic forms, with and without a context. */
    static unsigned long long g;
    g = 0;
    shmem_barrier_all();
    for (int pe = 0; pe < n; pe++) {
        shmem_atomic_add(&g, 1ULL, pe);
        shmem_atomic_inc(ctx, &g, pe);
        (void)shmem_atomic_fetch_add(SHMEM_CTX_DEFAULT, &g, 2ULL, pe);
        shmem_atomic_fetch_xor(&g, 0ULL, pe);
    }
    shmem_barrier_all();
    CHECK(g == 4ULL * n);
    CHECK(shmem_atomic_fetch(&g, me) == 4ULL * n);
    unsigned long long fetched = 0;
    shmem_atomic_fetch_nbi(&fetched, &g, me);
    shmem_quiet();
    CHECK(fetched == 4ULL * n);
    static float fl;
    shmem_atomic_set(&fl, 2.5f, me);
    CHECK(fl == 2.5f);
    CHECK(shmem_atomic_swap(ctx, &fl, 3.5f, me) == 2.5f);
    CHECK(shmem_atomic_fetch(&fl, me) == 3.5f);
    shmem_barrier_all();
#endif

    shmem_ctx_destroy(ctx);
    shmem_free(winners);
    printf("amo: PE %d ok (%d type cases)\n", me, cases);
    shmem_finalize();
    return 0;
}
