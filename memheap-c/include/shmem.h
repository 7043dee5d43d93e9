/*
 * shmem.h - OpenSHMEM 1.5 entry points provided by memheap (libmemheap).
 *
 * What is here: setup and query, symmetric memory management, ordering and barriers,
 * point-to-point wait/test, RMA (typed, sized, strided and generic), and the world team with
 * sum reductions for int and long. What is not implemented is absent, so a program that needs it
 * fails to build rather than at run time: atomics, other collectives (broadcast, collect,
 * alltoall, other reductions), contexts, signals, distributed locks, and teams other than
 * SHMEM_TEAM_WORLD (see the README).
 *
 * The typed routines are static inline functions over a few library entry points; they behave
 * as the specification says, including the error for an out-of-range PE, which names the
 * routine the program called.
 */
#ifndef MEMHEAP_SHMEM_H
#define MEMHEAP_SHMEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- version and constants ------------------------------------------------------------ */

#define SHMEM_MAJOR_VERSION 1
#define SHMEM_MINOR_VERSION 5
#define _SHMEM_MAJOR_VERSION SHMEM_MAJOR_VERSION
#define _SHMEM_MINOR_VERSION SHMEM_MINOR_VERSION
#define SHMEM_MAX_NAME_LEN 256
#define _SHMEM_MAX_NAME_LEN SHMEM_MAX_NAME_LEN
#define SHMEM_VENDOR_STRING "memheap"
#define _SHMEM_VENDOR_STRING SHMEM_VENDOR_STRING

#define SHMEM_THREAD_SINGLE 0
#define SHMEM_THREAD_FUNNELED 1
#define SHMEM_THREAD_SERIALIZED 2
#define SHMEM_THREAD_MULTIPLE 3

#define SHMEM_CMP_EQ 0
#define SHMEM_CMP_NE 1
#define SHMEM_CMP_GT 2
#define SHMEM_CMP_GE 3
#define SHMEM_CMP_LT 4
#define SHMEM_CMP_LE 5
#define _SHMEM_CMP_EQ SHMEM_CMP_EQ
#define _SHMEM_CMP_NE SHMEM_CMP_NE
#define _SHMEM_CMP_GT SHMEM_CMP_GT
#define _SHMEM_CMP_GE SHMEM_CMP_GE
#define _SHMEM_CMP_LT SHMEM_CMP_LT
#define _SHMEM_CMP_LE SHMEM_CMP_LE

#define SHMEM_MALLOC_ATOMICS_REMOTE 1L
#define SHMEM_MALLOC_SIGNAL_REMOTE 2L

/* ---- setup, exit and query ------------------------------------------------------------ */

void shmem_init(void);
int shmem_init_thread(int requested, int *provided);
void shmem_query_thread(int *provided);
void shmem_finalize(void);
void shmem_global_exit(int status);
int shmem_my_pe(void);
int shmem_n_pes(void);
int shmem_pe_accessible(int pe);
int shmem_addr_accessible(const void *addr, int pe);
void *shmem_ptr(const void *dest, int pe);
void shmem_info_get_version(int *major, int *minor);
void shmem_info_get_name(char *name);

/* Deprecated names, still required. */
void start_pes(int npes);
int _my_pe(void);
int _num_pes(void);

/* ---- symmetric memory management -------------------------------------------------------- */

void *shmem_malloc(size_t size);
void *shmem_calloc(size_t count, size_t size);
void *shmem_align(size_t alignment, size_t size);
void *shmem_realloc(void *ptr, size_t size);
void shmem_free(void *ptr);
void *shmem_malloc_with_hints(size_t size, long hints);

/* Deprecated names, still required. */
void *shmalloc(size_t size);
void shfree(void *ptr);
void *shrealloc(void *ptr, size_t size);
void *shmemalign(size_t alignment, size_t size);

/* ---- ordering and synchronisation ------------------------------------------------------- */

void shmem_barrier_all(void);
void shmem_sync_all(void);
void shmem_quiet(void);
void shmem_fence(void);

/* ---- RMA --------------------------------------------------------------------------------- */

void shmem_putmem(void *dest, const void *source, size_t nelems, int pe);
void shmem_getmem(void *dest, const void *source, size_t nelems, int pe);

/* Library entry points behind the inline routines below (not part of OpenSHMEM). `routine`
 * names the OpenSHMEM routine the program called, for error messages. */
void memheap_shmem_put(void *dest, const void *source, size_t bytes, int pe, const char *routine);
void memheap_shmem_get(void *dest, const void *source, size_t bytes, int pe, const char *routine);
void memheap_shmem_iput(void *dest, const void *source, ptrdiff_t dst, ptrdiff_t sst,
                        size_t nelems, size_t elem_size, int pe, const char *routine);
void memheap_shmem_iget(void *dest, const void *source, ptrdiff_t dst, ptrdiff_t sst,
                        size_t nelems, size_t elem_size, int pe, const char *routine);
void memheap_shmem_wait_hint(void);

/* The state of one wait loop: zero it (MEMHEAP_SHMEM_WATCH_INIT) before the loop, and call
 * memheap_shmem_wait between tests of the loop's condition. The library then ends the wait (and
 * the job, with a message) when it can never succeed: the job ended, a peer is gone without
 * shmem_finalize, or every other PE has entered shmem_finalize. */
typedef struct memheap_shmem_watch { unsigned long long memheap_private[4]; } memheap_shmem_watch_t;
#define MEMHEAP_SHMEM_WATCH_INIT {{0, 0, 0, 0}}
void memheap_shmem_wait(memheap_shmem_watch_t *watch, const char *routine);
void memheap_shmem_test_failed(const char *routine);

/* The standard RMA types: X(TYPE, TYPENAME). */
#define MEMHEAP_SHMEM_RMA_TYPES(X)                                                              \
    X(float, float) X(double, double) X(long double, longdouble) X(char, char)                  \
    X(signed char, schar) X(short, short) X(int, int) X(long, long) X(long long, longlong)      \
    X(unsigned char, uchar) X(unsigned short, ushort) X(unsigned int, uint)                     \
    X(unsigned long, ulong) X(unsigned long long, ulonglong) X(int8_t, int8)                    \
    X(int16_t, int16) X(int32_t, int32) X(int64_t, int64) X(uint8_t, uint8)                     \
    X(uint16_t, uint16) X(uint32_t, uint32) X(uint64_t, uint64) X(size_t, size)                 \
    X(ptrdiff_t, ptrdiff)

#define MEMHEAP_SHMEM_DEFINE_RMA(TYPE, NAME)                                                    \
    static inline void shmem_##NAME##_put(TYPE *dest, const TYPE *source, size_t nelems,        \
                                          int pe) {                                             \
        memheap_shmem_put(dest, source, nelems * sizeof(TYPE), pe, "shmem_" #NAME "_put");      \
    }                                                                                           \
    static inline void shmem_##NAME##_get(TYPE *dest, const TYPE *source, size_t nelems,        \
                                          int pe) {                                             \
        memheap_shmem_get(dest, source, nelems * sizeof(TYPE), pe, "shmem_" #NAME "_get");      \
    }                                                                                           \
    static inline void shmem_##NAME##_p(TYPE *dest, TYPE value, int pe) {                      \
        memheap_shmem_put(dest, &value, sizeof(TYPE), pe, "shmem_" #NAME "_p");                 \
    }                                                                                           \
    static inline TYPE shmem_##NAME##_g(const TYPE *source, int pe) {                           \
        TYPE value;                                                                             \
        memheap_shmem_get(&value, source, sizeof(TYPE), pe, "shmem_" #NAME "_g");               \
        return value;                                                                           \
    }                                                                                           \
    static inline void shmem_##NAME##_iput(TYPE *dest, const TYPE *source, ptrdiff_t dst,       \
                                           ptrdiff_t sst, size_t nelems, int pe) {              \
        memheap_shmem_iput(dest, source, dst, sst, nelems, sizeof(TYPE), pe,                    \
                           "shmem_" #NAME "_iput");                                             \
    }                                                                                           \
    static inline void shmem_##NAME##_iget(TYPE *dest, const TYPE *source, ptrdiff_t dst,       \
                                           ptrdiff_t sst, size_t nelems, int pe) {              \
        memheap_shmem_iget(dest, source, dst, sst, nelems, sizeof(TYPE), pe,                    \
                           "shmem_" #NAME "_iget");                                             \
    }

MEMHEAP_SHMEM_RMA_TYPES(MEMHEAP_SHMEM_DEFINE_RMA)

/* Sized routines: SIZE bits per element. */
#define MEMHEAP_SHMEM_DEFINE_SIZED(BITS)                                                        \
    static inline void shmem_put##BITS(void *dest, const void *source, size_t nelems, int pe) { \
        memheap_shmem_put(dest, source, nelems * (BITS / 8), pe, "shmem_put" #BITS);            \
    }                                                                                           \
    static inline void shmem_get##BITS(void *dest, const void *source, size_t nelems, int pe) { \
        memheap_shmem_get(dest, source, nelems * (BITS / 8), pe, "shmem_get" #BITS);            \
    }                                                                                           \
    static inline void shmem_iput##BITS(void *dest, const void *source, ptrdiff_t dst,          \
                                        ptrdiff_t sst, size_t nelems, int pe) {                 \
        memheap_shmem_iput(dest, source, dst, sst, nelems, BITS / 8, pe, "shmem_iput" #BITS);   \
    }                                                                                           \
    static inline void shmem_iget##BITS(void *dest, const void *source, ptrdiff_t dst,          \
                                        ptrdiff_t sst, size_t nelems, int pe) {                 \
        memheap_shmem_iget(dest, source, dst, sst, nelems, BITS / 8, pe, "shmem_iget" #BITS);   \
    }

MEMHEAP_SHMEM_DEFINE_SIZED(8)
MEMHEAP_SHMEM_DEFINE_SIZED(16)
MEMHEAP_SHMEM_DEFINE_SIZED(32)
MEMHEAP_SHMEM_DEFINE_SIZED(64)
MEMHEAP_SHMEM_DEFINE_SIZED(128)

/* ---- point-to-point synchronisation ------------------------------------------------------ */

/* The integer types of wait_until and test: X(TYPE, TYPENAME). */
#define MEMHEAP_SHMEM_WAIT_TYPES(X)                                                             \
    X(short, short) X(int, int) X(long, long) X(long long, longlong)                            \
    X(unsigned short, ushort) X(unsigned int, uint) X(unsigned long, ulong)                     \
    X(unsigned long long, ulonglong) X(int32_t, int32) X(int64_t, int64) X(uint32_t, uint32)    \
    X(uint64_t, uint64) X(size_t, size) X(ptrdiff_t, ptrdiff)

#define MEMHEAP_SHMEM_DEFINE_WAIT(TYPE, NAME)                                                   \
    static inline int memheap_shmem_##NAME##_cmp(TYPE *ivar, int cmp, TYPE cmp_value) {         \
        TYPE v = __atomic_load_n(ivar, __ATOMIC_ACQUIRE);                                       \
        switch (cmp) {                                                                          \
        case SHMEM_CMP_EQ: return v == cmp_value;                                               \
        case SHMEM_CMP_NE: return v != cmp_value;                                               \
        case SHMEM_CMP_GT: return v > cmp_value;                                                \
        case SHMEM_CMP_GE: return v >= cmp_value;                                               \
        case SHMEM_CMP_LT: return v < cmp_value;                                                \
        case SHMEM_CMP_LE: return v <= cmp_value;                                               \
        default: return 0;                                                                      \
        }                                                                                       \
    }                                                                                           \
    static inline int shmem_##NAME##_test(TYPE *ivar, int cmp, TYPE cmp_value) {                \
        if (memheap_shmem_##NAME##_cmp(ivar, cmp, cmp_value)) return 1;                         \
        memheap_shmem_test_failed("shmem_" #NAME "_test");                                      \
        return 0;                                                                               \
    }                                                                                           \
    static inline void shmem_##NAME##_wait_until(TYPE *ivar, int cmp, TYPE cmp_value) {         \
        memheap_shmem_watch_t watch = MEMHEAP_SHMEM_WATCH_INIT;                                 \
        while (!memheap_shmem_##NAME##_cmp(ivar, cmp, cmp_value))                               \
            memheap_shmem_wait(&watch, "shmem_" #NAME "_wait_until");                           \
    }

MEMHEAP_SHMEM_WAIT_TYPES(MEMHEAP_SHMEM_DEFINE_WAIT)

/* ---- teams and reductions ---------------------------------------------------------------- */

typedef struct memheap_shmem_team *shmem_team_t;
#define SHMEM_TEAM_INVALID ((shmem_team_t)0)
#define SHMEM_TEAM_WORLD ((shmem_team_t)(uintptr_t)1)

int shmem_team_my_pe(shmem_team_t team);
int shmem_team_n_pes(shmem_team_t team);
int shmem_int_sum_reduce(shmem_team_t team, int *dest, const int *source, size_t nreduce);
int shmem_long_sum_reduce(shmem_team_t team, long *dest, const long *source, size_t nreduce);

/* ---- C11 generic selection --------------------------------------------------------------- */

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && !defined(__cplusplus)
/* Only the distinct basic types: the sized and size_t/ptrdiff_t types are typedefs of them. */
#define MEMHEAP_SHMEM_GENERIC(dest, OP)                                                         \
    _Generic((dest),                                                                            \
        float *: shmem_float_##OP, double *: shmem_double_##OP,                                 \
        long double *: shmem_longdouble_##OP, char *: shmem_char_##OP,                          \
        signed char *: shmem_schar_##OP, short *: shmem_short_##OP, int *: shmem_int_##OP,      \
        long *: shmem_long_##OP, long long *: shmem_longlong_##OP,                              \
        unsigned char *: shmem_uchar_##OP, unsigned short *: shmem_ushort_##OP,                 \
        unsigned int *: shmem_uint_##OP, unsigned long *: shmem_ulong_##OP,                     \
        unsigned long long *: shmem_ulonglong_##OP)
#define MEMHEAP_SHMEM_GENERIC_CONST(src, OP)                                                    \
    _Generic((src),                                                                             \
        const float *: shmem_float_##OP, float *: shmem_float_##OP,                             \
        const double *: shmem_double_##OP, double *: shmem_double_##OP,                         \
        const long double *: shmem_longdouble_##OP, long double *: shmem_longdouble_##OP,       \
        const char *: shmem_char_##OP, char *: shmem_char_##OP,                                 \
        const signed char *: shmem_schar_##OP, signed char *: shmem_schar_##OP,                 \
        const short *: shmem_short_##OP, short *: shmem_short_##OP,                             \
        const int *: shmem_int_##OP, int *: shmem_int_##OP,                                     \
        const long *: shmem_long_##OP, long *: shmem_long_##OP,                                 \
        const long long *: shmem_longlong_##OP, long long *: shmem_longlong_##OP,               \
        const unsigned char *: shmem_uchar_##OP, unsigned char *: shmem_uchar_##OP,             \
        const unsigned short *: shmem_ushort_##OP, unsigned short *: shmem_ushort_##OP,         \
        const unsigned int *: shmem_uint_##OP, unsigned int *: shmem_uint_##OP,                 \
        const unsigned long *: shmem_ulong_##OP, unsigned long *: shmem_ulong_##OP,             \
        const unsigned long long *: shmem_ulonglong_##OP,                                       \
        unsigned long long *: shmem_ulonglong_##OP)
#define shmem_put(dest, source, nelems, pe) MEMHEAP_SHMEM_GENERIC(dest, put)(dest, source, nelems, pe)
#define shmem_get(dest, source, nelems, pe) MEMHEAP_SHMEM_GENERIC(dest, get)(dest, source, nelems, pe)
#define shmem_p(dest, value, pe) MEMHEAP_SHMEM_GENERIC(dest, p)(dest, value, pe)
#define shmem_g(source, pe) MEMHEAP_SHMEM_GENERIC_CONST(source, g)(source, pe)
#define shmem_iput(dest, source, dst, sst, nelems, pe)                                          \
    MEMHEAP_SHMEM_GENERIC(dest, iput)(dest, source, dst, sst, nelems, pe)
#define shmem_iget(dest, source, dst, sst, nelems, pe)                                          \
    MEMHEAP_SHMEM_GENERIC(dest, iget)(dest, source, dst, sst, nelems, pe)
#endif

#ifdef __cplusplus
}
#endif

#endif /* MEMHEAP_SHMEM_H */
