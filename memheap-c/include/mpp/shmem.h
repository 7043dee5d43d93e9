/*
 * shmem.h - OpenSHMEM 1.5 entry points provided by memheap (libmemheap).
 *
 * What is here: the whole of OpenSHMEM 1.5 for C: setup and query, symmetric memory
 * management, ordering and barriers, RMA (typed, sized, strided, non-blocking, with signal),
 * contexts, teams, atomics, collectives (team and deprecated active-set forms), point-to-point
 * synchronisation, distributed locks, and the C11 generic routines (see the README).
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
/* Wait or test on `nelems` variables (memheap-c/src/p2p.rs): `kind` is the width in bytes, plus
 * 0x100 for a signed type (MEMHEAP_SHMEM_INT_KIND); `mode` 0 waits until all satisfy. Blocking
 * modes wait as memheap_shmem_wait below does (the job's end or a departed peer ends them). */
size_t memheap_shmem_wait_vars(void *ivars, size_t nelems, size_t *indices, const int *status,
                               int cmp, const void *values, uint64_t value, int kind, int mode,
                               const char *routine);
#define MEMHEAP_SHMEM_INT_KIND(TYPE) ((int)sizeof(TYPE) | (((TYPE)~(TYPE)0 > (TYPE)0) ? 0 : 0x100))

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
        if (!memheap_shmem_##NAME##_cmp(ivar, cmp, cmp_value))                                  \
            (void)memheap_shmem_wait_vars(ivar, 1, NULL, NULL, cmp, NULL, (uint64_t)cmp_value,  \
                                          MEMHEAP_SHMEM_INT_KIND(TYPE), 0,                      \
                                          "shmem_" #NAME "_wait_until");                        \
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

/* ======================================================================================== */
/* The rest of OpenSHMEM 1.5: contexts, teams, atomics, signals, non-blocking RMA,          */
/* collectives, point-to-point synchronisation, locks. On this single-node runtime every    */
/* operation completes before its call returns (the _nbi forms are the blocking ones), and  */
/* a context is a team and nothing else. The typed routines are static inline functions     */
/* over a few library entry points (memheap_*), which name the routine the program called   */
/* in their error messages.                                                                  */
/* ======================================================================================== */

/* ---- contexts ----------------------------------------------------------------------------- */

typedef struct memheap_shmem_ctx *shmem_ctx_t;
#define SHMEM_CTX_INVALID ((shmem_ctx_t)0)
#define SHMEM_CTX_DEFAULT ((shmem_ctx_t)(uintptr_t)1)
#define SHMEM_CTX_PRIVATE 1L
#define SHMEM_CTX_SERIALIZED 2L
#define SHMEM_CTX_NOSTORE 4L

int shmem_ctx_create(long options, shmem_ctx_t *ctx);
void shmem_ctx_destroy(shmem_ctx_t ctx);
void shmem_ctx_quiet(shmem_ctx_t ctx);
void shmem_ctx_fence(shmem_ctx_t ctx);

/* ---- teams ------------------------------------------------------------------------------ */

#define SHMEM_TEAM_SHARED ((shmem_team_t)(uintptr_t)2)
typedef struct {
    int num_contexts;
} shmem_team_config_t;
#define SHMEM_TEAM_NUM_CONTEXTS 1L

int shmem_team_get_config(shmem_team_t team, long config_mask, shmem_team_config_t *config);
int shmem_team_translate_pe(shmem_team_t src_team, int src_pe, shmem_team_t dest_team);
int shmem_team_split_strided(shmem_team_t parent_team, int start, int stride, int size,
                             const shmem_team_config_t *config, long config_mask,
                             shmem_team_t *new_team);
int shmem_team_split_2d(shmem_team_t parent_team, int xrange,
                        const shmem_team_config_t *xaxis_config, long xaxis_mask,
                        shmem_team_t *xaxis_team, const shmem_team_config_t *yaxis_config,
                        long yaxis_mask, shmem_team_t *yaxis_team);
void shmem_team_destroy(shmem_team_t team);
int shmem_team_sync(shmem_team_t team);
void *shmem_team_ptr(shmem_team_t team, const void *dest, int pe);
int shmem_team_create_ctx(shmem_team_t team, long options, shmem_ctx_t *ctx);
int shmem_ctx_get_team(shmem_ctx_t ctx, shmem_team_t *team);

/* ---- RMA on contexts, non-blocking RMA, put-with-signal --------------------------------- */

#define SHMEM_SIGNAL_SET 0
#define SHMEM_SIGNAL_ADD 1

void memheap_ctx_put(shmem_ctx_t ctx, void *dest, const void *source, size_t bytes, int pe,
                     const char *routine);
void memheap_ctx_get(shmem_ctx_t ctx, void *dest, const void *source, size_t bytes, int pe,
                     const char *routine);
void memheap_ctx_iput(shmem_ctx_t ctx, void *dest, const void *source, ptrdiff_t dst,
                      ptrdiff_t sst, size_t nelems, size_t elem_size, int pe,
                      const char *routine);
void memheap_ctx_iget(shmem_ctx_t ctx, void *dest, const void *source, ptrdiff_t dst,
                      ptrdiff_t sst, size_t nelems, size_t elem_size, int pe,
                      const char *routine);
void memheap_shmem_put_signal(shmem_ctx_t ctx, void *dest, const void *source, size_t bytes,
                              uint64_t *sig_addr, uint64_t signal, int sig_op, int pe,
                              const char *routine);
uint64_t shmem_signal_fetch(const uint64_t *sig_addr);
uint64_t shmem_signal_wait_until(uint64_t *sig_addr, int cmp, uint64_t cmp_value);

#define MEMHEAP_SHMEM_DEFINE_RMA15(TYPE, NAME)                                                  \
    static inline void shmem_ctx_##NAME##_put(shmem_ctx_t ctx, TYPE *dest, const TYPE *source, \
                                              size_t nelems, int pe) {                         \
        memheap_ctx_put(ctx, dest, source, nelems * sizeof(TYPE), pe,                          \
                        "shmem_ctx_" #NAME "_put");                                            \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_get(shmem_ctx_t ctx, TYPE *dest, const TYPE *source, \
                                              size_t nelems, int pe) {                         \
        memheap_ctx_get(ctx, dest, source, nelems * sizeof(TYPE), pe,                          \
                        "shmem_ctx_" #NAME "_get");                                            \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_p(shmem_ctx_t ctx, TYPE *dest, TYPE value, int pe) { \
        memheap_ctx_put(ctx, dest, &value, sizeof(TYPE), pe, "shmem_ctx_" #NAME "_p");         \
    }                                                                                           \
    static inline TYPE shmem_ctx_##NAME##_g(shmem_ctx_t ctx, const TYPE *source, int pe) {     \
        TYPE value;                                                                             \
        memheap_ctx_get(ctx, &value, source, sizeof(TYPE), pe, "shmem_ctx_" #NAME "_g");       \
        return value;                                                                           \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_iput(shmem_ctx_t ctx, TYPE *dest, const TYPE *source,\
                                               ptrdiff_t dst, ptrdiff_t sst, size_t nelems,    \
                                               int pe) {                                       \
        memheap_ctx_iput(ctx, dest, source, dst, sst, nelems, sizeof(TYPE), pe,                \
                         "shmem_ctx_" #NAME "_iput");                                          \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_iget(shmem_ctx_t ctx, TYPE *dest, const TYPE *source,\
                                               ptrdiff_t dst, ptrdiff_t sst, size_t nelems,    \
                                               int pe) {                                       \
        memheap_ctx_iget(ctx, dest, source, dst, sst, nelems, sizeof(TYPE), pe,                \
                         "shmem_ctx_" #NAME "_iget");                                          \
    }                                                                                           \
    static inline void shmem_##NAME##_put_nbi(TYPE *dest, const TYPE *source, size_t nelems,   \
                                              int pe) {                                        \
        memheap_shmem_put(dest, source, nelems * sizeof(TYPE), pe, "shmem_" #NAME "_put_nbi"); \
    }                                                                                           \
    static inline void shmem_##NAME##_get_nbi(TYPE *dest, const TYPE *source, size_t nelems,   \
                                              int pe) {                                        \
        memheap_shmem_get(dest, source, nelems * sizeof(TYPE), pe, "shmem_" #NAME "_get_nbi"); \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_put_nbi(shmem_ctx_t ctx, TYPE *dest,                 \
                                                  const TYPE *source, size_t nelems, int pe) { \
        memheap_ctx_put(ctx, dest, source, nelems * sizeof(TYPE), pe,                          \
                        "shmem_ctx_" #NAME "_put_nbi");                                        \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_get_nbi(shmem_ctx_t ctx, TYPE *dest,                 \
                                                  const TYPE *source, size_t nelems, int pe) { \
        memheap_ctx_get(ctx, dest, source, nelems * sizeof(TYPE), pe,                          \
                        "shmem_ctx_" #NAME "_get_nbi");                                        \
    }                                                                                           \
    static inline void shmem_##NAME##_put_signal(TYPE *dest, const TYPE *source,               \
                                                 size_t nelems, uint64_t *sig_addr,            \
                                                 uint64_t signal, int sig_op, int pe) {        \
        memheap_shmem_put_signal(SHMEM_CTX_DEFAULT, dest, source, nelems * sizeof(TYPE),       \
                                 sig_addr, signal, sig_op, pe, "shmem_" #NAME "_put_signal");  \
    }                                                                                           \
    static inline void shmem_##NAME##_put_signal_nbi(TYPE *dest, const TYPE *source,           \
                                                     size_t nelems, uint64_t *sig_addr,        \
                                                     uint64_t signal, int sig_op, int pe) {    \
        memheap_shmem_put_signal(SHMEM_CTX_DEFAULT, dest, source, nelems * sizeof(TYPE),       \
                                 sig_addr, signal, sig_op, pe,                                 \
                                 "shmem_" #NAME "_put_signal_nbi");                            \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_put_signal(shmem_ctx_t ctx, TYPE *dest,              \
                                                     const TYPE *source, size_t nelems,        \
                                                     uint64_t *sig_addr, uint64_t signal,      \
                                                     int sig_op, int pe) {                     \
        memheap_shmem_put_signal(ctx, dest, source, nelems * sizeof(TYPE), sig_addr, signal,   \
                                 sig_op, pe, "shmem_ctx_" #NAME "_put_signal");                \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_put_signal_nbi(shmem_ctx_t ctx, TYPE *dest,          \
                                                         const TYPE *source, size_t nelems,    \
                                                         uint64_t *sig_addr, uint64_t signal,  \
                                                         int sig_op, int pe) {                 \
        memheap_shmem_put_signal(ctx, dest, source, nelems * sizeof(TYPE), sig_addr, signal,   \
                                 sig_op, pe, "shmem_ctx_" #NAME "_put_signal_nbi");            \
    }

MEMHEAP_SHMEM_RMA_TYPES(MEMHEAP_SHMEM_DEFINE_RMA15)

/* Sized and untyped (mem) forms: ELEM bytes per element, NAME the routine's middle part. */
#define MEMHEAP_SHMEM_DEFINE_SIZED15(NAME, ELEM)                                                \
    static inline void shmem_ctx_put##NAME(shmem_ctx_t ctx, void *dest, const void *source,    \
                                           size_t nelems, int pe) {                            \
        memheap_ctx_put(ctx, dest, source, nelems * (ELEM), pe, "shmem_ctx_put" #NAME);         \
    }                                                                                           \
    static inline void shmem_ctx_get##NAME(shmem_ctx_t ctx, void *dest, const void *source,    \
                                           size_t nelems, int pe) {                            \
        memheap_ctx_get(ctx, dest, source, nelems * (ELEM), pe, "shmem_ctx_get" #NAME);         \
    }                                                                                           \
    static inline void shmem_put##NAME##_nbi(void *dest, const void *source, size_t nelems,    \
                                             int pe) {                                         \
        memheap_shmem_put(dest, source, nelems * (ELEM), pe, "shmem_put" #NAME "_nbi");         \
    }                                                                                           \
    static inline void shmem_get##NAME##_nbi(void *dest, const void *source, size_t nelems,    \
                                             int pe) {                                         \
        memheap_shmem_get(dest, source, nelems * (ELEM), pe, "shmem_get" #NAME "_nbi");         \
    }                                                                                           \
    static inline void shmem_ctx_put##NAME##_nbi(shmem_ctx_t ctx, void *dest,                  \
                                                 const void *source, size_t nelems, int pe) {  \
        memheap_ctx_put(ctx, dest, source, nelems * (ELEM), pe, "shmem_ctx_put" #NAME "_nbi");  \
    }                                                                                           \
    static inline void shmem_ctx_get##NAME##_nbi(shmem_ctx_t ctx, void *dest,                  \
                                                 const void *source, size_t nelems, int pe) {  \
        memheap_ctx_get(ctx, dest, source, nelems * (ELEM), pe, "shmem_ctx_get" #NAME "_nbi");  \
    }                                                                                           \
    static inline void shmem_put##NAME##_signal(void *dest, const void *source, size_t nelems, \
                                                uint64_t *sig_addr, uint64_t signal,           \
                                                int sig_op, int pe) {                          \
        memheap_shmem_put_signal(SHMEM_CTX_DEFAULT, dest, source, nelems * (ELEM), sig_addr,   \
                                 signal, sig_op, pe, "shmem_put" #NAME "_signal");             \
    }                                                                                           \
    static inline void shmem_put##NAME##_signal_nbi(void *dest, const void *source,            \
                                                    size_t nelems, uint64_t *sig_addr,         \
                                                    uint64_t signal, int sig_op, int pe) {     \
        memheap_shmem_put_signal(SHMEM_CTX_DEFAULT, dest, source, nelems * (ELEM), sig_addr,   \
                                 signal, sig_op, pe, "shmem_put" #NAME "_signal_nbi");         \
    }                                                                                           \
    static inline void shmem_ctx_put##NAME##_signal(shmem_ctx_t ctx, void *dest,               \
                                                    const void *source, size_t nelems,         \
                                                    uint64_t *sig_addr, uint64_t signal,       \
                                                    int sig_op, int pe) {                      \
        memheap_shmem_put_signal(ctx, dest, source, nelems * (ELEM), sig_addr, signal, sig_op, \
                                 pe, "shmem_ctx_put" #NAME "_signal");                         \
    }                                                                                           \
    static inline void shmem_ctx_put##NAME##_signal_nbi(shmem_ctx_t ctx, void *dest,           \
                                                        const void *source, size_t nelems,     \
                                                        uint64_t *sig_addr, uint64_t signal,   \
                                                        int sig_op, int pe) {                  \
        memheap_shmem_put_signal(ctx, dest, source, nelems * (ELEM), sig_addr, signal, sig_op, \
                                 pe, "shmem_ctx_put" #NAME "_signal_nbi");                     \
    }

MEMHEAP_SHMEM_DEFINE_SIZED15(8, 1)
MEMHEAP_SHMEM_DEFINE_SIZED15(16, 2)
MEMHEAP_SHMEM_DEFINE_SIZED15(32, 4)
MEMHEAP_SHMEM_DEFINE_SIZED15(64, 8)
MEMHEAP_SHMEM_DEFINE_SIZED15(128, 16)
MEMHEAP_SHMEM_DEFINE_SIZED15(mem, 1)

/* Strided sized forms on contexts. */
#define MEMHEAP_SHMEM_DEFINE_CTX_STRIDED(BITS)                                                  \
    static inline void shmem_ctx_iput##BITS(shmem_ctx_t ctx, void *dest, const void *source,   \
                                            ptrdiff_t dst, ptrdiff_t sst, size_t nelems,       \
                                            int pe) {                                          \
        memheap_ctx_iput(ctx, dest, source, dst, sst, nelems, BITS / 8, pe,                    \
                         "shmem_ctx_iput" #BITS);                                              \
    }                                                                                           \
    static inline void shmem_ctx_iget##BITS(shmem_ctx_t ctx, void *dest, const void *source,   \
                                            ptrdiff_t dst, ptrdiff_t sst, size_t nelems,       \
                                            int pe) {                                          \
        memheap_ctx_iget(ctx, dest, source, dst, sst, nelems, BITS / 8, pe,                    \
                         "shmem_ctx_iget" #BITS);                                              \
    }

MEMHEAP_SHMEM_DEFINE_CTX_STRIDED(8)
MEMHEAP_SHMEM_DEFINE_CTX_STRIDED(16)
MEMHEAP_SHMEM_DEFINE_CTX_STRIDED(32)
MEMHEAP_SHMEM_DEFINE_CTX_STRIDED(64)
MEMHEAP_SHMEM_DEFINE_CTX_STRIDED(128)

/* ---- atomic memory operations ------------------------------------------------------------ */

/* One atomic on `dest` on PE `pe` of `ctx`; values travel as their bits (the low 4 bytes for a
 * 4-byte type). Returns the old value (0 for set). */
uint64_t memheap_shmem_amo(shmem_ctx_t ctx, void *dest, uint64_t value, uint64_t cond, int op,
                           int width, int pe, const char *routine);
/* The same for the _nbi forms that fetch: the old value is stored in *fetch, which is checked
 * first (not NULL, writable: a bad one is an error naming the routine, and nothing changes). */
void memheap_shmem_amo_nbi(shmem_ctx_t ctx, void *fetch, void *dest, uint64_t value,
                           uint64_t cond, int op, int width, int pe, const char *routine);
#define MEMHEAP_AMO_FETCH 0
#define MEMHEAP_AMO_SET 1
#define MEMHEAP_AMO_SWAP 2
#define MEMHEAP_AMO_COMPARE_SWAP 3
#define MEMHEAP_AMO_FETCH_ADD 4
#define MEMHEAP_AMO_FETCH_AND 5
#define MEMHEAP_AMO_FETCH_OR 6
#define MEMHEAP_AMO_FETCH_XOR 7

/* Standard AMO types; extended ones add float and double; bitwise ones: X(TYPE, TYPENAME). */
#define MEMHEAP_SHMEM_AMO_STD_TYPES(X)                                                          \
    X(int, int) X(long, long) X(long long, longlong) X(unsigned int, uint)                      \
    X(unsigned long, ulong) X(unsigned long long, ulonglong) X(int32_t, int32)                 \
    X(int64_t, int64) X(uint32_t, uint32) X(uint64_t, uint64) X(size_t, size)                  \
    X(ptrdiff_t, ptrdiff)
#define MEMHEAP_SHMEM_AMO_EXT_TYPES(X) X(float, float) X(double, double) MEMHEAP_SHMEM_AMO_STD_TYPES(X)
#define MEMHEAP_SHMEM_AMO_BIT_TYPES(X)                                                          \
    X(unsigned int, uint) X(unsigned long, ulong) X(unsigned long long, ulonglong)              \
    X(int32_t, int32) X(int64_t, int64) X(uint32_t, uint32) X(uint64_t, uint64)

/* The calls behind every typed atomic of TYPENAME. */
#define MEMHEAP_SHMEM_DEFINE_AMO_CALL(TYPE, NAME)                                               \
    static inline TYPE memheap_amo_##NAME(shmem_ctx_t ctx, const TYPE *dest, TYPE value,       \
                                          TYPE cond, int op, int pe, const char *routine) {    \
        uint64_t v = 0, c = 0, old;                                                             \
        TYPE out;                                                                               \
        __builtin_memcpy(&v, &value, sizeof(TYPE));                                             \
        __builtin_memcpy(&c, &cond, sizeof(TYPE));                                              \
        old = memheap_shmem_amo(ctx, (void *)dest, v, c, op, (int)sizeof(TYPE), pe, routine);   \
        __builtin_memcpy(&out, &old, sizeof(TYPE));                                             \
        return out;                                                                             \
    }                                                                                           \
    static inline void memheap_amo_nbi_##NAME(TYPE *fetch, shmem_ctx_t ctx, const TYPE *dest,   \
                                              TYPE value, TYPE cond, int op, int pe,            \
                                              const char *routine) {                            \
        uint64_t v = 0, c = 0;                                                                  \
        __builtin_memcpy(&v, &value, sizeof(TYPE));                                             \
        __builtin_memcpy(&c, &cond, sizeof(TYPE));                                              \
        memheap_shmem_amo_nbi(ctx, fetch, (void *)dest, v, c, op, (int)sizeof(TYPE), pe,        \
                              routine);                                                         \
    }

MEMHEAP_SHMEM_AMO_EXT_TYPES(MEMHEAP_SHMEM_DEFINE_AMO_CALL)

/* fetch, set, swap (extended types). */
#define MEMHEAP_SHMEM_DEFINE_AMO_EXT(TYPE, NAME)                                                \
    static inline TYPE shmem_ctx_##NAME##_atomic_fetch(shmem_ctx_t ctx, const TYPE *source,    \
                                                       int pe) {                               \
        return memheap_amo_##NAME(ctx, source, 0, 0, MEMHEAP_AMO_FETCH, pe,                    \
                                  "shmem_ctx_" #NAME "_atomic_fetch");                         \
    }                                                                                           \
    static inline TYPE shmem_##NAME##_atomic_fetch(const TYPE *source, int pe) {               \
        return memheap_amo_##NAME(SHMEM_CTX_DEFAULT, source, 0, 0, MEMHEAP_AMO_FETCH, pe,      \
                                  "shmem_" #NAME "_atomic_fetch");                             \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_atomic_fetch_nbi(shmem_ctx_t ctx, TYPE *fetch,       \
                                                           const TYPE *source, int pe) {       \
        memheap_amo_nbi_##NAME(fetch, ctx, source, 0, 0, MEMHEAP_AMO_FETCH, pe,                 \
                               "shmem_ctx_" #NAME "_atomic_fetch_nbi");                         \
    }                                                                                           \
    static inline void shmem_##NAME##_atomic_fetch_nbi(TYPE *fetch, const TYPE *source,        \
                                                       int pe) {                               \
        memheap_amo_nbi_##NAME(fetch, SHMEM_CTX_DEFAULT, source, 0, 0, MEMHEAP_AMO_FETCH, pe,   \
                               "shmem_" #NAME "_atomic_fetch_nbi");                             \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_atomic_set(shmem_ctx_t ctx, TYPE *dest, TYPE value,  \
                                                     int pe) {                                 \
        (void)memheap_amo_##NAME(ctx, dest, value, 0, MEMHEAP_AMO_SET, pe,                     \
                                 "shmem_ctx_" #NAME "_atomic_set");                            \
    }                                                                                           \
    static inline void shmem_##NAME##_atomic_set(TYPE *dest, TYPE value, int pe) {             \
        (void)memheap_amo_##NAME(SHMEM_CTX_DEFAULT, dest, value, 0, MEMHEAP_AMO_SET, pe,       \
                                 "shmem_" #NAME "_atomic_set");                                \
    }                                                                                           \
    static inline TYPE shmem_ctx_##NAME##_atomic_swap(shmem_ctx_t ctx, TYPE *dest, TYPE value, \
                                                      int pe) {                                \
        return memheap_amo_##NAME(ctx, dest, value, 0, MEMHEAP_AMO_SWAP, pe,                   \
                                  "shmem_ctx_" #NAME "_atomic_swap");                          \
    }                                                                                           \
    static inline TYPE shmem_##NAME##_atomic_swap(TYPE *dest, TYPE value, int pe) {            \
        return memheap_amo_##NAME(SHMEM_CTX_DEFAULT, dest, value, 0, MEMHEAP_AMO_SWAP, pe,     \
                                  "shmem_" #NAME "_atomic_swap");                              \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_atomic_swap_nbi(shmem_ctx_t ctx, TYPE *fetch,        \
                                                          TYPE *dest, TYPE value, int pe) {    \
        memheap_amo_nbi_##NAME(fetch, ctx, dest, value, 0, MEMHEAP_AMO_SWAP, pe,                \
                               "shmem_ctx_" #NAME "_atomic_swap_nbi");                          \
    }                                                                                           \
    static inline void shmem_##NAME##_atomic_swap_nbi(TYPE *fetch, TYPE *dest, TYPE value,     \
                                                      int pe) {                                \
        memheap_amo_nbi_##NAME(fetch, SHMEM_CTX_DEFAULT, dest, value, 0, MEMHEAP_AMO_SWAP, pe,  \
                               "shmem_" #NAME "_atomic_swap_nbi");                              \
    }

MEMHEAP_SHMEM_AMO_EXT_TYPES(MEMHEAP_SHMEM_DEFINE_AMO_EXT)

/* compare_swap, fetch_inc, inc, fetch_add, add (standard types). */
#define MEMHEAP_SHMEM_DEFINE_AMO_STD(TYPE, NAME)                                                \
    static inline TYPE shmem_ctx_##NAME##_atomic_compare_swap(shmem_ctx_t ctx, TYPE *dest,     \
                                                              TYPE cond, TYPE value, int pe) { \
        return memheap_amo_##NAME(ctx, dest, value, cond, MEMHEAP_AMO_COMPARE_SWAP, pe,        \
                                  "shmem_ctx_" #NAME "_atomic_compare_swap");                  \
    }                                                                                           \
    static inline TYPE shmem_##NAME##_atomic_compare_swap(TYPE *dest, TYPE cond, TYPE value,   \
                                                          int pe) {                            \
        return memheap_amo_##NAME(SHMEM_CTX_DEFAULT, dest, value, cond,                        \
                                  MEMHEAP_AMO_COMPARE_SWAP, pe,                                \
                                  "shmem_" #NAME "_atomic_compare_swap");                      \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_atomic_compare_swap_nbi(                              \
        shmem_ctx_t ctx, TYPE *fetch, TYPE *dest, TYPE cond, TYPE value, int pe) {              \
        memheap_amo_nbi_##NAME(fetch, ctx, dest, value, cond, MEMHEAP_AMO_COMPARE_SWAP, pe,     \
                               "shmem_ctx_" #NAME "_atomic_compare_swap_nbi");                  \
    }                                                                                           \
    static inline void shmem_##NAME##_atomic_compare_swap_nbi(TYPE *fetch, TYPE *dest,         \
                                                              TYPE cond, TYPE value, int pe) { \
        memheap_amo_nbi_##NAME(fetch, SHMEM_CTX_DEFAULT, dest, value, cond,                     \
                               MEMHEAP_AMO_COMPARE_SWAP, pe,                                    \
                               "shmem_" #NAME "_atomic_compare_swap_nbi");                      \
    }                                                                                           \
    static inline TYPE shmem_ctx_##NAME##_atomic_fetch_inc(shmem_ctx_t ctx, TYPE *dest,        \
                                                           int pe) {                           \
        return memheap_amo_##NAME(ctx, dest, 1, 0, MEMHEAP_AMO_FETCH_ADD, pe,                  \
                                  "shmem_ctx_" #NAME "_atomic_fetch_inc");                     \
    }                                                                                           \
    static inline TYPE shmem_##NAME##_atomic_fetch_inc(TYPE *dest, int pe) {                   \
        return memheap_amo_##NAME(SHMEM_CTX_DEFAULT, dest, 1, 0, MEMHEAP_AMO_FETCH_ADD, pe,    \
                                  "shmem_" #NAME "_atomic_fetch_inc");                         \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_atomic_fetch_inc_nbi(shmem_ctx_t ctx, TYPE *fetch,   \
                                                               TYPE *dest, int pe) {           \
        memheap_amo_nbi_##NAME(fetch, ctx, dest, 1, 0, MEMHEAP_AMO_FETCH_ADD, pe,               \
                               "shmem_ctx_" #NAME "_atomic_fetch_inc_nbi");                     \
    }                                                                                           \
    static inline void shmem_##NAME##_atomic_fetch_inc_nbi(TYPE *fetch, TYPE *dest, int pe) {  \
        memheap_amo_nbi_##NAME(fetch, SHMEM_CTX_DEFAULT, dest, 1, 0, MEMHEAP_AMO_FETCH_ADD, pe, \
                               "shmem_" #NAME "_atomic_fetch_inc_nbi");                         \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_atomic_inc(shmem_ctx_t ctx, TYPE *dest, int pe) {    \
        (void)memheap_amo_##NAME(ctx, dest, 1, 0, MEMHEAP_AMO_FETCH_ADD, pe,                   \
                                 "shmem_ctx_" #NAME "_atomic_inc");                            \
    }                                                                                           \
    static inline void shmem_##NAME##_atomic_inc(TYPE *dest, int pe) {                         \
        (void)memheap_amo_##NAME(SHMEM_CTX_DEFAULT, dest, 1, 0, MEMHEAP_AMO_FETCH_ADD, pe,     \
                                 "shmem_" #NAME "_atomic_inc");                                \
    }                                                                                           \
    static inline TYPE shmem_ctx_##NAME##_atomic_fetch_add(shmem_ctx_t ctx, TYPE *dest,        \
                                                           TYPE value, int pe) {               \
        return memheap_amo_##NAME(ctx, dest, value, 0, MEMHEAP_AMO_FETCH_ADD, pe,              \
                                  "shmem_ctx_" #NAME "_atomic_fetch_add");                     \
    }                                                                                           \
    static inline TYPE shmem_##NAME##_atomic_fetch_add(TYPE *dest, TYPE value, int pe) {       \
        return memheap_amo_##NAME(SHMEM_CTX_DEFAULT, dest, value, 0, MEMHEAP_AMO_FETCH_ADD, pe, \
                                  "shmem_" #NAME "_atomic_fetch_add");                         \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_atomic_fetch_add_nbi(shmem_ctx_t ctx, TYPE *fetch,   \
                                                               TYPE *dest, TYPE value,         \
                                                               int pe) {                       \
        memheap_amo_nbi_##NAME(fetch, ctx, dest, value, 0, MEMHEAP_AMO_FETCH_ADD, pe,           \
                               "shmem_ctx_" #NAME "_atomic_fetch_add_nbi");                     \
    }                                                                                           \
    static inline void shmem_##NAME##_atomic_fetch_add_nbi(TYPE *fetch, TYPE *dest,            \
                                                           TYPE value, int pe) {               \
        memheap_amo_nbi_##NAME(fetch, SHMEM_CTX_DEFAULT, dest, value, 0, MEMHEAP_AMO_FETCH_ADD, \
                               pe, "shmem_" #NAME "_atomic_fetch_add_nbi");                     \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_atomic_add(shmem_ctx_t ctx, TYPE *dest, TYPE value,  \
                                                     int pe) {                                 \
        (void)memheap_amo_##NAME(ctx, dest, value, 0, MEMHEAP_AMO_FETCH_ADD, pe,               \
                                 "shmem_ctx_" #NAME "_atomic_add");                            \
    }                                                                                           \
    static inline void shmem_##NAME##_atomic_add(TYPE *dest, TYPE value, int pe) {             \
        (void)memheap_amo_##NAME(SHMEM_CTX_DEFAULT, dest, value, 0, MEMHEAP_AMO_FETCH_ADD, pe, \
                                 "shmem_" #NAME "_atomic_add");                                \
    }

MEMHEAP_SHMEM_AMO_STD_TYPES(MEMHEAP_SHMEM_DEFINE_AMO_STD)

/* fetch_and, and, fetch_or, or, fetch_xor, xor (bitwise types): one operation, named by
 * FETCH (atomic_fetch_and, ...) and OP (atomic_and, ...). */
#define MEMHEAP_SHMEM_DEFINE_AMO_BIT_OP(TYPE, NAME, FETCH, OP, CODE)                            \
    static inline TYPE shmem_ctx_##NAME##_##FETCH(shmem_ctx_t ctx, TYPE *dest, TYPE value,     \
                                                  int pe) {                                    \
        return memheap_amo_##NAME(ctx, dest, value, 0, CODE, pe,                               \
                                  "shmem_ctx_" #NAME "_" #FETCH);                              \
    }                                                                                           \
    static inline TYPE shmem_##NAME##_##FETCH(TYPE *dest, TYPE value, int pe) {                \
        return memheap_amo_##NAME(SHMEM_CTX_DEFAULT, dest, value, 0, CODE, pe,                 \
                                  "shmem_" #NAME "_" #FETCH);                                  \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_##FETCH##_nbi(shmem_ctx_t ctx, TYPE *fetch,          \
                                                        TYPE *dest, TYPE value, int pe) {      \
        memheap_amo_nbi_##NAME(fetch, ctx, dest, value, 0, CODE, pe,                            \
                               "shmem_ctx_" #NAME "_" #FETCH "_nbi");                           \
    }                                                                                           \
    static inline void shmem_##NAME##_##FETCH##_nbi(TYPE *fetch, TYPE *dest, TYPE value,       \
                                                    int pe) {                                  \
        memheap_amo_nbi_##NAME(fetch, SHMEM_CTX_DEFAULT, dest, value, 0, CODE, pe,              \
                               "shmem_" #NAME "_" #FETCH "_nbi");                               \
    }                                                                                           \
    static inline void shmem_ctx_##NAME##_##OP(shmem_ctx_t ctx, TYPE *dest, TYPE value,        \
                                               int pe) {                                       \
        (void)memheap_amo_##NAME(ctx, dest, value, 0, CODE, pe, "shmem_ctx_" #NAME "_" #OP);   \
    }                                                                                           \
    static inline void shmem_##NAME##_##OP(TYPE *dest, TYPE value, int pe) {                   \
        (void)memheap_amo_##NAME(SHMEM_CTX_DEFAULT, dest, value, 0, CODE, pe,                  \
                                 "shmem_" #NAME "_" #OP);                                      \
    }
#define MEMHEAP_SHMEM_DEFINE_AMO_BIT(TYPE, NAME)                                                \
    MEMHEAP_SHMEM_DEFINE_AMO_BIT_OP(TYPE, NAME, atomic_fetch_and, atomic_and,                  \
                                    MEMHEAP_AMO_FETCH_AND)                                      \
    MEMHEAP_SHMEM_DEFINE_AMO_BIT_OP(TYPE, NAME, atomic_fetch_or, atomic_or, MEMHEAP_AMO_FETCH_OR) \
    MEMHEAP_SHMEM_DEFINE_AMO_BIT_OP(TYPE, NAME, atomic_fetch_xor, atomic_xor,                  \
                                    MEMHEAP_AMO_FETCH_XOR)

MEMHEAP_SHMEM_AMO_BIT_TYPES(MEMHEAP_SHMEM_DEFINE_AMO_BIT)

/* Deprecated atomic names (int, long, long long; fetch, set and swap also float, double). */
#define MEMHEAP_SHMEM_DEFINE_AMO_OLD_EXT(TYPE, NAME)                                            \
    static inline TYPE shmem_##NAME##_fetch(const TYPE *source, int pe) {                      \
        return memheap_amo_##NAME(SHMEM_CTX_DEFAULT, source, 0, 0, MEMHEAP_AMO_FETCH, pe,      \
                                  "shmem_" #NAME "_fetch");                                    \
    }                                                                                           \
    static inline void shmem_##NAME##_set(TYPE *dest, TYPE value, int pe) {                    \
        (void)memheap_amo_##NAME(SHMEM_CTX_DEFAULT, dest, value, 0, MEMHEAP_AMO_SET, pe,       \
                                 "shmem_" #NAME "_set");                                       \
    }                                                                                           \
    static inline TYPE shmem_##NAME##_swap(TYPE *dest, TYPE value, int pe) {                   \
        return memheap_amo_##NAME(SHMEM_CTX_DEFAULT, dest, value, 0, MEMHEAP_AMO_SWAP, pe,     \
                                  "shmem_" #NAME "_swap");                                     \
    }
#define MEMHEAP_SHMEM_DEFINE_AMO_OLD_STD(TYPE, NAME)                                            \
    MEMHEAP_SHMEM_DEFINE_AMO_OLD_EXT(TYPE, NAME)                                                \
    static inline TYPE shmem_##NAME##_cswap(TYPE *dest, TYPE cond, TYPE value, int pe) {       \
        return memheap_amo_##NAME(SHMEM_CTX_DEFAULT, dest, value, cond,                        \
                                  MEMHEAP_AMO_COMPARE_SWAP, pe, "shmem_" #NAME "_cswap");      \
    }                                                                                           \
    static inline TYPE shmem_##NAME##_finc(TYPE *dest, int pe) {                               \
        return memheap_amo_##NAME(SHMEM_CTX_DEFAULT, dest, 1, 0, MEMHEAP_AMO_FETCH_ADD, pe,    \
                                  "shmem_" #NAME "_finc");                                     \
    }                                                                                           \
    static inline void shmem_##NAME##_inc(TYPE *dest, int pe) {                                \
        (void)memheap_amo_##NAME(SHMEM_CTX_DEFAULT, dest, 1, 0, MEMHEAP_AMO_FETCH_ADD, pe,     \
                                 "shmem_" #NAME "_inc");                                       \
    }                                                                                           \
    static inline TYPE shmem_##NAME##_fadd(TYPE *dest, TYPE value, int pe) {                   \
        return memheap_amo_##NAME(SHMEM_CTX_DEFAULT, dest, value, 0, MEMHEAP_AMO_FETCH_ADD, pe, \
                                  "shmem_" #NAME "_fadd");                                     \
    }                                                                                           \
    static inline void shmem_##NAME##_add(TYPE *dest, TYPE value, int pe) {                    \
        (void)memheap_amo_##NAME(SHMEM_CTX_DEFAULT, dest, value, 0, MEMHEAP_AMO_FETCH_ADD, pe, \
                                 "shmem_" #NAME "_add");                                       \
    }

MEMHEAP_SHMEM_DEFINE_AMO_OLD_EXT(float, float)
MEMHEAP_SHMEM_DEFINE_AMO_OLD_EXT(double, double)
MEMHEAP_SHMEM_DEFINE_AMO_OLD_STD(int, int)
MEMHEAP_SHMEM_DEFINE_AMO_OLD_STD(long, long)
MEMHEAP_SHMEM_DEFINE_AMO_OLD_STD(long long, longlong)

/* ---- point-to-point synchronisation: all / any / some, vectors, signals ----------------- */

/* X(TYPE, TYPENAME, KIND) */
#define MEMHEAP_SHMEM_P2P_TYPES(X)                                                              \
    X(short, short, 0x100 | (int)sizeof(short))                                                 \
    X(unsigned short, ushort, (int)sizeof(unsigned short))                                      \
    X(int, int, 0x100 | (int)sizeof(int)) X(long, long, 0x100 | (int)sizeof(long))              \
    X(long long, longlong, 0x100 | (int)sizeof(long long))                                      \
    X(unsigned int, uint, (int)sizeof(unsigned int))                                            \
    X(unsigned long, ulong, (int)sizeof(unsigned long))                                         \
    X(unsigned long long, ulonglong, (int)sizeof(unsigned long long))                           \
    X(int32_t, int32, 0x104) X(int64_t, int64, 0x108) X(uint32_t, uint32, 4)                   \
    X(uint64_t, uint64, 8) X(size_t, size, (int)sizeof(size_t))                                 \
    X(ptrdiff_t, ptrdiff, 0x100 | (int)sizeof(ptrdiff_t))

#define MEMHEAP_SHMEM_DEFINE_P2P15(TYPE, NAME, KIND)                                            \
    static inline void shmem_##NAME##_wait_until_all(TYPE *ivars, size_t nelems,                \
                                                     const int *status, int cmp,                \
                                                     TYPE cmp_value) {                          \
        (void)memheap_shmem_wait_vars(ivars, nelems, NULL, status, cmp, NULL,                   \
                                      (uint64_t)cmp_value, KIND, 0,                             \
                                      "shmem_" #NAME "_wait_until_all");                        \
    }                                                                                           \
    static inline size_t shmem_##NAME##_wait_until_any(TYPE *ivars, size_t nelems,              \
                                                       const int *status, int cmp,              \
                                                       TYPE cmp_value) {                        \
        return memheap_shmem_wait_vars(ivars, nelems, NULL, status, cmp, NULL,                  \
                                       (uint64_t)cmp_value, KIND, 1,                            \
                                       "shmem_" #NAME "_wait_until_any");                       \
    }                                                                                           \
    static inline size_t shmem_##NAME##_wait_until_some(TYPE *ivars, size_t nelems,             \
                                                        size_t *indices, const int *status,     \
                                                        int cmp, TYPE cmp_value) {              \
        return memheap_shmem_wait_vars(ivars, nelems, indices, status, cmp, NULL,               \
                                       (uint64_t)cmp_value, KIND, 2,                            \
                                       "shmem_" #NAME "_wait_until_some");                      \
    }                                                                                           \
    static inline void shmem_##NAME##_wait_until_all_vector(TYPE *ivars, size_t nelems,         \
                                                            const int *status, int cmp,         \
                                                            TYPE *cmp_values) {                 \
        (void)memheap_shmem_wait_vars(ivars, nelems, NULL, status, cmp, cmp_values, 0, KIND,    \
                                      0, "shmem_" #NAME "_wait_until_all_vector");              \
    }                                                                                           \
    static inline size_t shmem_##NAME##_wait_until_any_vector(TYPE *ivars, size_t nelems,       \
                                                              const int *status, int cmp,       \
                                                              TYPE *cmp_values) {               \
        return memheap_shmem_wait_vars(ivars, nelems, NULL, status, cmp, cmp_values, 0, KIND,   \
                                       1, "shmem_" #NAME "_wait_until_any_vector");             \
    }                                                                                           \
    static inline size_t shmem_##NAME##_wait_until_some_vector(TYPE *ivars, size_t nelems,      \
                                                               size_t *indices,                 \
                                                               const int *status, int cmp,      \
                                                               TYPE *cmp_values) {              \
        return memheap_shmem_wait_vars(ivars, nelems, indices, status, cmp, cmp_values, 0,      \
                                       KIND, 2, "shmem_" #NAME "_wait_until_some_vector");      \
    }                                                                                           \
    static inline int shmem_##NAME##_test_all(TYPE *ivars, size_t nelems, const int *status,    \
                                              int cmp, TYPE cmp_value) {                        \
        return (int)memheap_shmem_wait_vars(ivars, nelems, NULL, status, cmp, NULL,             \
                                            (uint64_t)cmp_value, KIND, 3,                       \
                                            "shmem_" #NAME "_test_all");                        \
    }                                                                                           \
    static inline size_t shmem_##NAME##_test_any(TYPE *ivars, size_t nelems,                    \
                                                 const int *status, int cmp, TYPE cmp_value) {  \
        return memheap_shmem_wait_vars(ivars, nelems, NULL, status, cmp, NULL,                  \
                                       (uint64_t)cmp_value, KIND, 4,                            \
                                       "shmem_" #NAME "_test_any");                             \
    }                                                                                           \
    static inline size_t shmem_##NAME##_test_some(TYPE *ivars, size_t nelems, size_t *indices,  \
                                                  const int *status, int cmp,                   \
                                                  TYPE cmp_value) {                             \
        return memheap_shmem_wait_vars(ivars, nelems, indices, status, cmp, NULL,               \
                                       (uint64_t)cmp_value, KIND, 5,                            \
                                       "shmem_" #NAME "_test_some");                            \
    }                                                                                           \
    static inline int shmem_##NAME##_test_all_vector(TYPE *ivars, size_t nelems,                \
                                                     const int *status, int cmp,                \
                                                     TYPE *cmp_values) {                        \
        return (int)memheap_shmem_wait_vars(ivars, nelems, NULL, status, cmp, cmp_values, 0,    \
                                            KIND, 3, "shmem_" #NAME "_test_all_vector");        \
    }                                                                                           \
    static inline size_t shmem_##NAME##_test_any_vector(TYPE *ivars, size_t nelems,             \
                                                        const int *status, int cmp,             \
                                                        TYPE *cmp_values) {                     \
        return memheap_shmem_wait_vars(ivars, nelems, NULL, status, cmp, cmp_values, 0, KIND,   \
                                       4, "shmem_" #NAME "_test_any_vector");                   \
    }                                                                                           \
    static inline size_t shmem_##NAME##_test_some_vector(TYPE *ivars, size_t nelems,            \
                                                         size_t *indices, const int *status,    \
                                                         int cmp, TYPE *cmp_values) {           \
        return memheap_shmem_wait_vars(ivars, nelems, indices, status, cmp, cmp_values, 0,      \
                                       KIND, 5, "shmem_" #NAME "_test_some_vector");            \
    }

MEMHEAP_SHMEM_P2P_TYPES(MEMHEAP_SHMEM_DEFINE_P2P15)

/* Deprecated: wait while *ivar == cmp_value. */
static inline void shmem_short_wait(short *ivar, short cmp_value) {
    shmem_short_wait_until(ivar, SHMEM_CMP_NE, cmp_value);
}
static inline void shmem_int_wait(int *ivar, int cmp_value) {
    shmem_int_wait_until(ivar, SHMEM_CMP_NE, cmp_value);
}
static inline void shmem_long_wait(long *ivar, long cmp_value) {
    shmem_long_wait_until(ivar, SHMEM_CMP_NE, cmp_value);
}
static inline void shmem_longlong_wait(long long *ivar, long long cmp_value) {
    shmem_longlong_wait_until(ivar, SHMEM_CMP_NE, cmp_value);
}

/* ---- distributed locks --------------------------------------------------------------------- */

void shmem_set_lock(long *lock);
void shmem_clear_lock(long *lock);
int shmem_test_lock(long *lock);

/* ---- collectives ------------------------------------------------------------------------- */

#define SHMEM_SYNC_VALUE 0L
#define SHMEM_SYNC_SIZE 4
#define SHMEM_BARRIER_SYNC_SIZE 4
#define SHMEM_BCAST_SYNC_SIZE 4
#define SHMEM_COLLECT_SYNC_SIZE 4
#define SHMEM_REDUCE_SYNC_SIZE 4
#define SHMEM_ALLTOALL_SYNC_SIZE 4
#define SHMEM_ALLTOALLS_SYNC_SIZE 4
#define SHMEM_REDUCE_MIN_WRKDATA_SIZE 1
#define _SHMEM_SYNC_VALUE SHMEM_SYNC_VALUE
#define _SHMEM_BARRIER_SYNC_SIZE SHMEM_BARRIER_SYNC_SIZE
#define _SHMEM_BCAST_SYNC_SIZE SHMEM_BCAST_SYNC_SIZE
#define _SHMEM_COLLECT_SYNC_SIZE SHMEM_COLLECT_SYNC_SIZE
#define _SHMEM_REDUCE_SYNC_SIZE SHMEM_REDUCE_SYNC_SIZE
#define _SHMEM_ALLTOALL_SYNC_SIZE SHMEM_ALLTOALL_SYNC_SIZE
#define _SHMEM_ALLTOALLS_SYNC_SIZE SHMEM_ALLTOALLS_SYNC_SIZE
#define _SHMEM_REDUCE_MIN_WRKDATA_SIZE SHMEM_REDUCE_MIN_WRKDATA_SIZE

/* Deprecated active-set forms. */
void shmem_barrier(int PE_start, int logPE_stride, int PE_size, long *pSync);
void shmem_sync(int PE_start, int logPE_stride, int PE_size, long *pSync);

/* Data collectives: kind 0 broadcast, 1 collect, 2 fcollect, 3 alltoall, 4 alltoalls. */
int memheap_shmem_coll(int kind, shmem_team_t team, void *dest, const void *source,
                       size_t nelems, size_t elem_size, ptrdiff_t dst, ptrdiff_t sst, int root,
                       const char *routine);
void memheap_shmem_coll_as(int kind, void *dest, const void *source, size_t nelems,
                           size_t elem_size, ptrdiff_t dst, ptrdiff_t sst, int root,
                           int PE_start, int logPE_stride, int PE_size, long *pSync,
                           const char *routine);

#define MEMHEAP_SHMEM_DEFINE_COLL(TYPE, NAME)                                                   \
    static inline int shmem_##NAME##_broadcast(shmem_team_t team, TYPE *dest,                  \
                                               const TYPE *source, size_t nelems,              \
                                               int PE_root) {                                  \
        return memheap_shmem_coll(0, team, dest, source, nelems, sizeof(TYPE), 1, 1, PE_root,  \
                                  "shmem_" #NAME "_broadcast");                                \
    }                                                                                           \
    static inline int shmem_##NAME##_collect(shmem_team_t team, TYPE *dest, const TYPE *source,\
                                             size_t nelems) {                                  \
        return memheap_shmem_coll(1, team, dest, source, nelems, sizeof(TYPE), 1, 1, 0,        \
                                  "shmem_" #NAME "_collect");                                  \
    }                                                                                           \
    static inline int shmem_##NAME##_fcollect(shmem_team_t team, TYPE *dest,                   \
                                              const TYPE *source, size_t nelems) {             \
        return memheap_shmem_coll(2, team, dest, source, nelems, sizeof(TYPE), 1, 1, 0,        \
                                  "shmem_" #NAME "_fcollect");                                 \
    }                                                                                           \
    static inline int shmem_##NAME##_alltoall(shmem_team_t team, TYPE *dest,                   \
                                              const TYPE *source, size_t nelems) {             \
        return memheap_shmem_coll(3, team, dest, source, nelems, sizeof(TYPE), 1, 1, 0,        \
                                  "shmem_" #NAME "_alltoall");                                 \
    }                                                                                           \
    static inline int shmem_##NAME##_alltoalls(shmem_team_t team, TYPE *dest,                  \
                                               const TYPE *source, ptrdiff_t dst,              \
                                               ptrdiff_t sst, size_t nelems) {                 \
        return memheap_shmem_coll(4, team, dest, source, nelems, sizeof(TYPE), dst, sst, 0,    \
                                  "shmem_" #NAME "_alltoalls");                                \
    }

MEMHEAP_SHMEM_RMA_TYPES(MEMHEAP_SHMEM_DEFINE_COLL)

static inline int shmem_broadcastmem(shmem_team_t team, void *dest, const void *source,
                                     size_t nelems, int PE_root) {
    return memheap_shmem_coll(0, team, dest, source, nelems, 1, 1, 1, PE_root,
                              "shmem_broadcastmem");
}
static inline int shmem_collectmem(shmem_team_t team, void *dest, const void *source,
                                   size_t nelems) {
    return memheap_shmem_coll(1, team, dest, source, nelems, 1, 1, 1, 0, "shmem_collectmem");
}
static inline int shmem_fcollectmem(shmem_team_t team, void *dest, const void *source,
                                    size_t nelems) {
    return memheap_shmem_coll(2, team, dest, source, nelems, 1, 1, 1, 0, "shmem_fcollectmem");
}
static inline int shmem_alltoallmem(shmem_team_t team, void *dest, const void *source,
                                    size_t nelems) {
    return memheap_shmem_coll(3, team, dest, source, nelems, 1, 1, 1, 0, "shmem_alltoallmem");
}
static inline int shmem_alltoallsmem(shmem_team_t team, void *dest, const void *source,
                                     ptrdiff_t dst, ptrdiff_t sst, size_t nelems) {
    return memheap_shmem_coll(4, team, dest, source, nelems, 1, dst, sst, 0,
                              "shmem_alltoallsmem");
}

/* Deprecated active-set forms with 32- and 64-bit elements. */
#define MEMHEAP_SHMEM_DEFINE_COLL_AS(BITS)                                                      \
    static inline void shmem_broadcast##BITS(void *dest, const void *source, size_t nelems,    \
                                             int PE_root, int PE_start, int logPE_stride,      \
                                             int PE_size, long *pSync) {                       \
        memheap_shmem_coll_as(0, dest, source, nelems, BITS / 8, 1, 1, PE_root, PE_start,      \
                              logPE_stride, PE_size, pSync, "shmem_broadcast" #BITS);          \
    }                                                                                           \
    static inline void shmem_collect##BITS(void *dest, const void *source, size_t nelems,      \
                                           int PE_start, int logPE_stride, int PE_size,        \
                                           long *pSync) {                                      \
        memheap_shmem_coll_as(1, dest, source, nelems, BITS / 8, 1, 1, 0, PE_start,            \
                              logPE_stride, PE_size, pSync, "shmem_collect" #BITS);            \
    }                                                                                           \
    static inline void shmem_fcollect##BITS(void *dest, const void *source, size_t nelems,     \
                                            int PE_start, int logPE_stride, int PE_size,       \
                                            long *pSync) {                                     \
        memheap_shmem_coll_as(2, dest, source, nelems, BITS / 8, 1, 1, 0, PE_start,            \
                              logPE_stride, PE_size, pSync, "shmem_fcollect" #BITS);           \
    }                                                                                           \
    static inline void shmem_alltoall##BITS(void *dest, const void *source, size_t nelems,     \
                                            int PE_start, int logPE_stride, int PE_size,       \
                                            long *pSync) {                                     \
        memheap_shmem_coll_as(3, dest, source, nelems, BITS / 8, 1, 1, 0, PE_start,            \
                              logPE_stride, PE_size, pSync, "shmem_alltoall" #BITS);           \
    }                                                                                           \
    static inline void shmem_alltoalls##BITS(void *dest, const void *source, ptrdiff_t dst,    \
                                             ptrdiff_t sst, size_t nelems, int PE_start,       \
                                             int logPE_stride, int PE_size, long *pSync) {     \
        memheap_shmem_coll_as(4, dest, source, nelems, BITS / 8, dst, sst, 0, PE_start,        \
                              logPE_stride, PE_size, pSync, "shmem_alltoalls" #BITS);          \
    }

MEMHEAP_SHMEM_DEFINE_COLL_AS(32)
MEMHEAP_SHMEM_DEFINE_COLL_AS(64)

/* Reductions. `type`: integers width | 0x100 if signed; 0x200 | width: float, double;
 * 0x400 | width: complex float, complex double; 0x800 | width: long double, combined by
 * `combine`. `op`: 0 and, 1 or, 2 xor, 3 max, 4 min, 5 sum, 6 prod. */
int memheap_shmem_reduce(shmem_team_t team, void *dest, const void *source, size_t nreduce,
                         int type, int op, void (*combine)(void *, const void *, size_t),
                         const char *routine);
void memheap_shmem_reduce_as(void *dest, const void *source, int nreduce, int type, int op,
                             void (*combine)(void *, const void *, size_t), int PE_start,
                             int logPE_stride, int PE_size, long *pSync, const char *routine);

#define MEMHEAP_LD_COMBINE(OP, EXPR)                                                            \
    static inline void memheap_ld_##OP(void *acc, const void *next, size_t n) {                \
        long double *a = (long double *)acc;                                                    \
        const long double *b = (const long double *)next;                                       \
        size_t i;                                                                               \
        for (i = 0; i < n; i++) a[i] = (EXPR);                                                  \
    }
MEMHEAP_LD_COMBINE(max, b[i] > a[i] ? b[i] : a[i])
MEMHEAP_LD_COMBINE(min, b[i] < a[i] ? b[i] : a[i])
MEMHEAP_LD_COMBINE(sum, a[i] + b[i])
MEMHEAP_LD_COMBINE(prod, a[i] * b[i])
#define MEMHEAP_LD_max_reduce memheap_ld_max
#define MEMHEAP_LD_min_reduce memheap_ld_min
#define MEMHEAP_LD_sum_reduce memheap_ld_sum
#define MEMHEAP_LD_prod_reduce memheap_ld_prod
#define MEMHEAP_LD_max_to_all memheap_ld_max
#define MEMHEAP_LD_min_to_all memheap_ld_min
#define MEMHEAP_LD_sum_to_all memheap_ld_sum
#define MEMHEAP_LD_prod_to_all memheap_ld_prod

#ifdef __CHAR_UNSIGNED__
#define MEMHEAP_TY_CHAR 0x001
#else
#define MEMHEAP_TY_CHAR 0x101
#endif
#define MEMHEAP_TY_S(T) (0x100 | (int)sizeof(T))
#define MEMHEAP_TY_U(T) ((int)sizeof(T))

/* Reduction type lists: X(TYPE, TYPENAME, TYPECODE, COMBINE, OP, OPCODE); OP is the routine
 * name's suffix (and_reduce, ..., prod_to_all), OPCODE the operation. */
#define MEMHEAP_SHMEM_BITWISE_TYPES(X, OP, CODE)                                                \
    X(unsigned char, uchar, MEMHEAP_TY_U(unsigned char), NULL, OP, CODE)                        \
    X(unsigned short, ushort, MEMHEAP_TY_U(unsigned short), NULL, OP, CODE)                     \
    X(unsigned int, uint, MEMHEAP_TY_U(unsigned int), NULL, OP, CODE)                           \
    X(unsigned long, ulong, MEMHEAP_TY_U(unsigned long), NULL, OP, CODE)                        \
    X(unsigned long long, ulonglong, MEMHEAP_TY_U(unsigned long long), NULL, OP, CODE)          \
    X(int8_t, int8, 0x101, NULL, OP, CODE) X(int16_t, int16, 0x102, NULL, OP, CODE)             \
    X(int32_t, int32, 0x104, NULL, OP, CODE) X(int64_t, int64, 0x108, NULL, OP, CODE)           \
    X(uint8_t, uint8, 0x001, NULL, OP, CODE) X(uint16_t, uint16, 0x002, NULL, OP, CODE)         \
    X(uint32_t, uint32, 0x004, NULL, OP, CODE) X(uint64_t, uint64, 0x008, NULL, OP, CODE)       \
    X(size_t, size, MEMHEAP_TY_U(size_t), NULL, OP, CODE)
/* Min/max types but int and long (sum: their sum_reduce is a library function). */
#define MEMHEAP_SHMEM_ARITH_TYPES_BUT_INT_LONG(X, OP, CODE)                                     \
    X(char, char, MEMHEAP_TY_CHAR, NULL, OP, CODE)                                              \
    X(signed char, schar, MEMHEAP_TY_S(signed char), NULL, OP, CODE)                            \
    X(short, short, MEMHEAP_TY_S(short), NULL, OP, CODE)                                        \
    X(long long, longlong, MEMHEAP_TY_S(long long), NULL, OP, CODE)                             \
    X(ptrdiff_t, ptrdiff, MEMHEAP_TY_S(ptrdiff_t), NULL, OP, CODE)                              \
    X(unsigned char, uchar, MEMHEAP_TY_U(unsigned char), NULL, OP, CODE)                        \
    X(unsigned short, ushort, MEMHEAP_TY_U(unsigned short), NULL, OP, CODE)                     \
    X(unsigned int, uint, MEMHEAP_TY_U(unsigned int), NULL, OP, CODE)                           \
    X(unsigned long, ulong, MEMHEAP_TY_U(unsigned long), NULL, OP, CODE)                        \
    X(unsigned long long, ulonglong, MEMHEAP_TY_U(unsigned long long), NULL, OP, CODE)          \
    X(int8_t, int8, 0x101, NULL, OP, CODE) X(int16_t, int16, 0x102, NULL, OP, CODE)             \
    X(int32_t, int32, 0x104, NULL, OP, CODE) X(int64_t, int64, 0x108, NULL, OP, CODE)           \
    X(uint8_t, uint8, 0x001, NULL, OP, CODE) X(uint16_t, uint16, 0x002, NULL, OP, CODE)         \
    X(uint32_t, uint32, 0x004, NULL, OP, CODE) X(uint64_t, uint64, 0x008, NULL, OP, CODE)       \
    X(size_t, size, MEMHEAP_TY_U(size_t), NULL, OP, CODE)                                       \
    X(float, float, 0x204, NULL, OP, CODE) X(double, double, 0x208, NULL, OP, CODE)             \
    X(long double, longdouble, 0x800 | (int)sizeof(long double), MEMHEAP_LD_##OP, OP, CODE)
#define MEMHEAP_SHMEM_ARITH_TYPES(X, OP, CODE)                                                  \
    MEMHEAP_SHMEM_ARITH_TYPES_BUT_INT_LONG(X, OP, CODE)                                         \
    X(int, int, MEMHEAP_TY_S(int), NULL, OP, CODE) X(long, long, MEMHEAP_TY_S(long), NULL, OP, CODE)
#ifndef __cplusplus
#define MEMHEAP_SHMEM_COMPLEX_TYPES(X, OP, CODE)                                                \
    X(float _Complex, complexf, 0x408, NULL, OP, CODE)                                          \
    X(double _Complex, complexd, 0x410, NULL, OP, CODE)
#else
#define MEMHEAP_SHMEM_COMPLEX_TYPES(X, OP, CODE)
#endif

#define MEMHEAP_SHMEM_DEFINE_REDUCE(TYPE, NAME, TYPECODE, COMBINE, OP, CODE)                    \
    static inline int shmem_##NAME##_##OP(shmem_team_t team, TYPE *dest, const TYPE *source,  \
                                          size_t nreduce) {                                    \
        return memheap_shmem_reduce(team, dest, source, nreduce, TYPECODE, CODE, COMBINE,      \
                                    "shmem_" #NAME "_" #OP);                                   \
    }

MEMHEAP_SHMEM_BITWISE_TYPES(MEMHEAP_SHMEM_DEFINE_REDUCE, and_reduce, 0)
MEMHEAP_SHMEM_BITWISE_TYPES(MEMHEAP_SHMEM_DEFINE_REDUCE, or_reduce, 1)
MEMHEAP_SHMEM_BITWISE_TYPES(MEMHEAP_SHMEM_DEFINE_REDUCE, xor_reduce, 2)
MEMHEAP_SHMEM_ARITH_TYPES(MEMHEAP_SHMEM_DEFINE_REDUCE, max_reduce, 3)
MEMHEAP_SHMEM_ARITH_TYPES(MEMHEAP_SHMEM_DEFINE_REDUCE, min_reduce, 4)
MEMHEAP_SHMEM_ARITH_TYPES_BUT_INT_LONG(MEMHEAP_SHMEM_DEFINE_REDUCE, sum_reduce, 5)
MEMHEAP_SHMEM_ARITH_TYPES(MEMHEAP_SHMEM_DEFINE_REDUCE, prod_reduce, 6)
MEMHEAP_SHMEM_COMPLEX_TYPES(MEMHEAP_SHMEM_DEFINE_REDUCE, sum_reduce, 5)
MEMHEAP_SHMEM_COMPLEX_TYPES(MEMHEAP_SHMEM_DEFINE_REDUCE, prod_reduce, 6)

/* Deprecated active-set reductions shmem_TYPE_OP_to_all (pWrk is not needed). */
#define MEMHEAP_SHMEM_DEFINE_TO_ALL(TYPE, NAME, TYPECODE, COMBINE, OP, CODE)                    \
    static inline void shmem_##NAME##_##OP(TYPE *dest, const TYPE *source, int nreduce,      \
                                           int PE_start, int logPE_stride, int PE_size,        \
                                           TYPE *pWrk, long *pSync) {                          \
        (void)pWrk;                                                                             \
        memheap_shmem_reduce_as(dest, source, nreduce, TYPECODE, CODE, COMBINE, PE_start,      \
                                logPE_stride, PE_size, pSync, "shmem_" #NAME "_" #OP);         \
    }
#define MEMHEAP_SHMEM_TO_ALL_INT_TYPES(X, OP, CODE)                                             \
    X(short, short, MEMHEAP_TY_S(short), NULL, OP, CODE)                                        \
    X(int, int, MEMHEAP_TY_S(int), NULL, OP, CODE)                                              \
    X(long, long, MEMHEAP_TY_S(long), NULL, OP, CODE)                                           \
    X(long long, longlong, MEMHEAP_TY_S(long long), NULL, OP, CODE)
#define MEMHEAP_SHMEM_TO_ALL_ARITH_TYPES(X, OP, CODE)                                           \
    MEMHEAP_SHMEM_TO_ALL_INT_TYPES(X, OP, CODE)                                                 \
    X(float, float, 0x204, NULL, OP, CODE) X(double, double, 0x208, NULL, OP, CODE)             \
    X(long double, longdouble, 0x800 | (int)sizeof(long double), MEMHEAP_LD_##OP, OP, CODE)

MEMHEAP_SHMEM_TO_ALL_INT_TYPES(MEMHEAP_SHMEM_DEFINE_TO_ALL, and_to_all, 0)
MEMHEAP_SHMEM_TO_ALL_INT_TYPES(MEMHEAP_SHMEM_DEFINE_TO_ALL, or_to_all, 1)
MEMHEAP_SHMEM_TO_ALL_INT_TYPES(MEMHEAP_SHMEM_DEFINE_TO_ALL, xor_to_all, 2)
MEMHEAP_SHMEM_TO_ALL_ARITH_TYPES(MEMHEAP_SHMEM_DEFINE_TO_ALL, max_to_all, 3)
MEMHEAP_SHMEM_TO_ALL_ARITH_TYPES(MEMHEAP_SHMEM_DEFINE_TO_ALL, min_to_all, 4)
MEMHEAP_SHMEM_TO_ALL_ARITH_TYPES(MEMHEAP_SHMEM_DEFINE_TO_ALL, sum_to_all, 5)
MEMHEAP_SHMEM_TO_ALL_ARITH_TYPES(MEMHEAP_SHMEM_DEFINE_TO_ALL, prod_to_all, 6)
MEMHEAP_SHMEM_COMPLEX_TYPES(MEMHEAP_SHMEM_DEFINE_TO_ALL, sum_to_all, 5)
MEMHEAP_SHMEM_COMPLEX_TYPES(MEMHEAP_SHMEM_DEFINE_TO_ALL, prod_to_all, 6)

/* ---- profiling and deprecated cache routines (no-ops here) ------------------------------ */

static inline void shmem_pcontrol(const int level, ...) { (void)level; }
static inline void shmem_clear_cache_inv(void) {}
static inline void shmem_set_cache_inv(void) {}
static inline void shmem_clear_cache_line_inv(void *dest) { (void)dest; }
static inline void shmem_set_cache_line_inv(void *dest) { (void)dest; }
static inline void shmem_udcflush(void) {}
static inline void shmem_udcflush_line(void *dest) { (void)dest; }

/* ---- C11 generic selection for the routines above -------------------------------------- */

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && !defined(__cplusplus)
/* What a generic routine selects for an argument of a type it does not take: calling it is a
 * compile-time error (it takes no arguments). Never defined. */
void memheap_shmem_generic_no_match(void);
#define MEMHEAP_A1(a, ...) a
#define MEMHEAP_A2(a, b, ...) b
#define MEMHEAP_PICK5(a, b, c, d, e, ...) e

/* The routine PREFIX##TYPENAME##_##OP for the pointer `p`, per type list. */
#define MEMHEAP_G_RMA(p, PREFIX, OP)                                                            \
    _Generic((p), float *: PREFIX##float_##OP, double *: PREFIX##double_##OP,                   \
        long double *: PREFIX##longdouble_##OP, char *: PREFIX##char_##OP,                      \
        signed char *: PREFIX##schar_##OP, short *: PREFIX##short_##OP, int *: PREFIX##int_##OP,\
        long *: PREFIX##long_##OP, long long *: PREFIX##longlong_##OP,                          \
        unsigned char *: PREFIX##uchar_##OP, unsigned short *: PREFIX##ushort_##OP,             \
        unsigned int *: PREFIX##uint_##OP, unsigned long *: PREFIX##ulong_##OP,                 \
        unsigned long long *: PREFIX##ulonglong_##OP,                                           \
        default: memheap_shmem_generic_no_match)
#define MEMHEAP_G_RMA_CONST(p, PREFIX, OP)                                                      \
    _Generic((p), const float *: PREFIX##float_##OP, float *: PREFIX##float_##OP,               \
        const double *: PREFIX##double_##OP, double *: PREFIX##double_##OP,                     \
        const long double *: PREFIX##longdouble_##OP, long double *: PREFIX##longdouble_##OP,   \
        const char *: PREFIX##char_##OP, char *: PREFIX##char_##OP,                             \
        const signed char *: PREFIX##schar_##OP, signed char *: PREFIX##schar_##OP,             \
        const short *: PREFIX##short_##OP, short *: PREFIX##short_##OP,                         \
        const int *: PREFIX##int_##OP, int *: PREFIX##int_##OP,                                 \
        const long *: PREFIX##long_##OP, long *: PREFIX##long_##OP,                             \
        const long long *: PREFIX##longlong_##OP, long long *: PREFIX##longlong_##OP,           \
        const unsigned char *: PREFIX##uchar_##OP, unsigned char *: PREFIX##uchar_##OP,         \
        const unsigned short *: PREFIX##ushort_##OP, unsigned short *: PREFIX##ushort_##OP,     \
        const unsigned int *: PREFIX##uint_##OP, unsigned int *: PREFIX##uint_##OP,             \
        const unsigned long *: PREFIX##ulong_##OP, unsigned long *: PREFIX##ulong_##OP,         \
        const unsigned long long *: PREFIX##ulonglong_##OP,                                     \
        unsigned long long *: PREFIX##ulonglong_##OP,                                           \
        default: memheap_shmem_generic_no_match)
#define MEMHEAP_G_AMO_STD(p, PREFIX, OP)                                                        \
    _Generic((p), int *: PREFIX##int_##OP, long *: PREFIX##long_##OP,                           \
        long long *: PREFIX##longlong_##OP, unsigned int *: PREFIX##uint_##OP,                  \
        unsigned long *: PREFIX##ulong_##OP, unsigned long long *: PREFIX##ulonglong_##OP,      \
        default: memheap_shmem_generic_no_match)
#define MEMHEAP_G_AMO_EXT(p, PREFIX, OP)                                                        \
    _Generic((p), float *: PREFIX##float_##OP, double *: PREFIX##double_##OP,                   \
        int *: PREFIX##int_##OP, long *: PREFIX##long_##OP,                                     \
        long long *: PREFIX##longlong_##OP, unsigned int *: PREFIX##uint_##OP,                  \
        unsigned long *: PREFIX##ulong_##OP, unsigned long long *: PREFIX##ulonglong_##OP,      \
        default: memheap_shmem_generic_no_match)
#define MEMHEAP_G_AMO_EXT_CONST(p, PREFIX, OP)                                                  \
    _Generic((p), const float *: PREFIX##float_##OP, float *: PREFIX##float_##OP,               \
        const double *: PREFIX##double_##OP, double *: PREFIX##double_##OP,                     \
        const int *: PREFIX##int_##OP, int *: PREFIX##int_##OP,                                 \
        const long *: PREFIX##long_##OP, long *: PREFIX##long_##OP,                             \
        const long long *: PREFIX##longlong_##OP, long long *: PREFIX##longlong_##OP,           \
        const unsigned int *: PREFIX##uint_##OP, unsigned int *: PREFIX##uint_##OP,             \
        const unsigned long *: PREFIX##ulong_##OP, unsigned long *: PREFIX##ulong_##OP,         \
        const unsigned long long *: PREFIX##ulonglong_##OP,                                     \
        unsigned long long *: PREFIX##ulonglong_##OP,                                           \
        default: memheap_shmem_generic_no_match)
/* Bitwise AMO types: int is int32_t and long int64_t on the LP64 systems this runs on. */
#define MEMHEAP_G_AMO_BIT(p, PREFIX, OP)                                                        \
    _Generic((p), unsigned int *: PREFIX##uint_##OP, unsigned long *: PREFIX##ulong_##OP,       \
        unsigned long long *: PREFIX##ulonglong_##OP, int *: PREFIX##int32_##OP,                \
        long *: PREFIX##int64_##OP, default: memheap_shmem_generic_no_match)
#define MEMHEAP_G_WAIT(p, PREFIX, OP)                                                           \
    _Generic((p), short *: PREFIX##short_##OP, int *: PREFIX##int_##OP,                         \
        long *: PREFIX##long_##OP, long long *: PREFIX##longlong_##OP,                          \
        unsigned short *: PREFIX##ushort_##OP, unsigned int *: PREFIX##uint_##OP,               \
        unsigned long *: PREFIX##ulong_##OP, unsigned long long *: PREFIX##ulonglong_##OP,      \
        default: memheap_shmem_generic_no_match)
#define MEMHEAP_G_OLD_WAIT(p, PREFIX, OP)                                                       \
    _Generic((p), short *: PREFIX##short_##OP, int *: PREFIX##int_##OP,                         \
        long *: PREFIX##long_##OP, long long *: PREFIX##longlong_##OP,                          \
        default: memheap_shmem_generic_no_match)
#define MEMHEAP_G_BITWISE_REDUCE(p, PREFIX, OP)                                                 \
    _Generic((p), unsigned char *: PREFIX##uchar_##OP, unsigned short *: PREFIX##ushort_##OP,   \
        unsigned int *: PREFIX##uint_##OP, unsigned long *: PREFIX##ulong_##OP,                 \
        unsigned long long *: PREFIX##ulonglong_##OP, signed char *: PREFIX##int8_##OP,         \
        short *: PREFIX##int16_##OP, int *: PREFIX##int32_##OP, long *: PREFIX##int64_##OP,     \
        default: memheap_shmem_generic_no_match)
#define MEMHEAP_G_MINMAX_REDUCE(p, PREFIX, OP)                                                  \
    _Generic((p), char *: PREFIX##char_##OP, signed char *: PREFIX##schar_##OP,                 \
        short *: PREFIX##short_##OP, int *: PREFIX##int_##OP, long *: PREFIX##long_##OP,        \
        long long *: PREFIX##longlong_##OP, unsigned char *: PREFIX##uchar_##OP,                \
        unsigned short *: PREFIX##ushort_##OP, unsigned int *: PREFIX##uint_##OP,               \
        unsigned long *: PREFIX##ulong_##OP, unsigned long long *: PREFIX##ulonglong_##OP,      \
        float *: PREFIX##float_##OP, double *: PREFIX##double_##OP,                             \
        long double *: PREFIX##longdouble_##OP, default: memheap_shmem_generic_no_match)
#define MEMHEAP_G_ARITH_REDUCE(p, PREFIX, OP)                                                   \
    _Generic((p), char *: PREFIX##char_##OP, signed char *: PREFIX##schar_##OP,                 \
        short *: PREFIX##short_##OP, int *: PREFIX##int_##OP, long *: PREFIX##long_##OP,        \
        long long *: PREFIX##longlong_##OP, unsigned char *: PREFIX##uchar_##OP,                \
        unsigned short *: PREFIX##ushort_##OP, unsigned int *: PREFIX##uint_##OP,               \
        unsigned long *: PREFIX##ulong_##OP, unsigned long long *: PREFIX##ulonglong_##OP,      \
        float *: PREFIX##float_##OP, double *: PREFIX##double_##OP,                             \
        long double *: PREFIX##longdouble_##OP, float _Complex *: PREFIX##complexf_##OP,        \
        double _Complex *: PREFIX##complexd_##OP, default: memheap_shmem_generic_no_match)

/* A routine with a context form: selected by the first argument, or by the second when the
 * first is a context. */
#define MEMHEAP_G_CTX(LIST, OP, ...)                                                            \
    _Generic((MEMHEAP_A1(__VA_ARGS__, 0)),                                                      \
        shmem_ctx_t: LIST(MEMHEAP_A2(__VA_ARGS__, 0, 0), shmem_ctx_, OP),                       \
        default: LIST(MEMHEAP_A1(__VA_ARGS__, 0), shmem_, OP))
/* A routine selected by its first argument only, or (team routines) by its second. */
#define MEMHEAP_G_FIRST(LIST, OP, ...) LIST(MEMHEAP_A1(__VA_ARGS__, 0), shmem_, OP)
#define MEMHEAP_G_SECOND(LIST, OP, ...) LIST(MEMHEAP_A2(__VA_ARGS__, 0, 0), shmem_, OP)

#undef shmem_put
#undef shmem_get
#undef shmem_p
#undef shmem_g
#undef shmem_iput
#undef shmem_iget
#define shmem_put(...) MEMHEAP_G_CTX(MEMHEAP_G_RMA, put, __VA_ARGS__)(__VA_ARGS__)
#define shmem_get(...) MEMHEAP_G_CTX(MEMHEAP_G_RMA, get, __VA_ARGS__)(__VA_ARGS__)
#define shmem_p(...) MEMHEAP_G_CTX(MEMHEAP_G_RMA, p, __VA_ARGS__)(__VA_ARGS__)
#define shmem_g(...) MEMHEAP_G_CTX(MEMHEAP_G_RMA_CONST, g, __VA_ARGS__)(__VA_ARGS__)
#define shmem_iput(...) MEMHEAP_G_CTX(MEMHEAP_G_RMA, iput, __VA_ARGS__)(__VA_ARGS__)
#define shmem_iget(...) MEMHEAP_G_CTX(MEMHEAP_G_RMA, iget, __VA_ARGS__)(__VA_ARGS__)
#define shmem_put_nbi(...) MEMHEAP_G_CTX(MEMHEAP_G_RMA, put_nbi, __VA_ARGS__)(__VA_ARGS__)
#define shmem_get_nbi(...) MEMHEAP_G_CTX(MEMHEAP_G_RMA, get_nbi, __VA_ARGS__)(__VA_ARGS__)
#define shmem_put_signal(...) MEMHEAP_G_CTX(MEMHEAP_G_RMA, put_signal, __VA_ARGS__)(__VA_ARGS__)
#define shmem_put_signal_nbi(...)                                                               \
    MEMHEAP_G_CTX(MEMHEAP_G_RMA, put_signal_nbi, __VA_ARGS__)(__VA_ARGS__)

#define shmem_atomic_fetch(...)                                                                 \
    MEMHEAP_G_CTX(MEMHEAP_G_AMO_EXT_CONST, atomic_fetch, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_set(...) MEMHEAP_G_CTX(MEMHEAP_G_AMO_EXT, atomic_set, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_swap(...) MEMHEAP_G_CTX(MEMHEAP_G_AMO_EXT, atomic_swap, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_compare_swap(...)                                                          \
    MEMHEAP_G_CTX(MEMHEAP_G_AMO_STD, atomic_compare_swap, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_fetch_inc(...)                                                             \
    MEMHEAP_G_CTX(MEMHEAP_G_AMO_STD, atomic_fetch_inc, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_inc(...) MEMHEAP_G_CTX(MEMHEAP_G_AMO_STD, atomic_inc, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_fetch_add(...)                                                             \
    MEMHEAP_G_CTX(MEMHEAP_G_AMO_STD, atomic_fetch_add, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_add(...) MEMHEAP_G_CTX(MEMHEAP_G_AMO_STD, atomic_add, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_fetch_and(...)                                                             \
    MEMHEAP_G_CTX(MEMHEAP_G_AMO_BIT, atomic_fetch_and, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_and(...) MEMHEAP_G_CTX(MEMHEAP_G_AMO_BIT, atomic_and, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_fetch_or(...)                                                              \
    MEMHEAP_G_CTX(MEMHEAP_G_AMO_BIT, atomic_fetch_or, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_or(...) MEMHEAP_G_CTX(MEMHEAP_G_AMO_BIT, atomic_or, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_fetch_xor(...)                                                             \
    MEMHEAP_G_CTX(MEMHEAP_G_AMO_BIT, atomic_fetch_xor, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_xor(...) MEMHEAP_G_CTX(MEMHEAP_G_AMO_BIT, atomic_xor, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_fetch_nbi(...)                                                             \
    MEMHEAP_G_CTX(MEMHEAP_G_AMO_EXT, atomic_fetch_nbi, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_swap_nbi(...)                                                              \
    MEMHEAP_G_CTX(MEMHEAP_G_AMO_EXT, atomic_swap_nbi, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_compare_swap_nbi(...)                                                      \
    MEMHEAP_G_CTX(MEMHEAP_G_AMO_STD, atomic_compare_swap_nbi, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_fetch_inc_nbi(...)                                                         \
    MEMHEAP_G_CTX(MEMHEAP_G_AMO_STD, atomic_fetch_inc_nbi, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_fetch_add_nbi(...)                                                         \
    MEMHEAP_G_CTX(MEMHEAP_G_AMO_STD, atomic_fetch_add_nbi, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_fetch_and_nbi(...)                                                         \
    MEMHEAP_G_CTX(MEMHEAP_G_AMO_BIT, atomic_fetch_and_nbi, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_fetch_or_nbi(...)                                                          \
    MEMHEAP_G_CTX(MEMHEAP_G_AMO_BIT, atomic_fetch_or_nbi, __VA_ARGS__)(__VA_ARGS__)
#define shmem_atomic_fetch_xor_nbi(...)                                                         \
    MEMHEAP_G_CTX(MEMHEAP_G_AMO_BIT, atomic_fetch_xor_nbi, __VA_ARGS__)(__VA_ARGS__)

/* Deprecated generic atomic names: the same routines as their shmem_atomic_* successors. */
#define shmem_fetch(...) MEMHEAP_G_FIRST(MEMHEAP_G_AMO_EXT_CONST, atomic_fetch, __VA_ARGS__)(__VA_ARGS__)
#define shmem_set(...) MEMHEAP_G_FIRST(MEMHEAP_G_AMO_EXT, atomic_set, __VA_ARGS__)(__VA_ARGS__)
#define shmem_swap(...) MEMHEAP_G_FIRST(MEMHEAP_G_AMO_EXT, atomic_swap, __VA_ARGS__)(__VA_ARGS__)
#define shmem_cswap(...)                                                                        \
    MEMHEAP_G_FIRST(MEMHEAP_G_AMO_STD, atomic_compare_swap, __VA_ARGS__)(__VA_ARGS__)
#define shmem_finc(...) MEMHEAP_G_FIRST(MEMHEAP_G_AMO_STD, atomic_fetch_inc, __VA_ARGS__)(__VA_ARGS__)
#define shmem_inc(...) MEMHEAP_G_FIRST(MEMHEAP_G_AMO_STD, atomic_inc, __VA_ARGS__)(__VA_ARGS__)
#define shmem_fadd(...) MEMHEAP_G_FIRST(MEMHEAP_G_AMO_STD, atomic_fetch_add, __VA_ARGS__)(__VA_ARGS__)
#define shmem_add(...) MEMHEAP_G_FIRST(MEMHEAP_G_AMO_STD, atomic_add, __VA_ARGS__)(__VA_ARGS__)

#define shmem_wait_until(...) MEMHEAP_G_FIRST(MEMHEAP_G_WAIT, wait_until, __VA_ARGS__)(__VA_ARGS__)
#define shmem_test(...) MEMHEAP_G_FIRST(MEMHEAP_G_WAIT, test, __VA_ARGS__)(__VA_ARGS__)
#define shmem_wait(...) MEMHEAP_G_FIRST(MEMHEAP_G_OLD_WAIT, wait, __VA_ARGS__)(__VA_ARGS__)
#define shmem_wait_until_all(...)                                                               \
    MEMHEAP_G_FIRST(MEMHEAP_G_WAIT, wait_until_all, __VA_ARGS__)(__VA_ARGS__)
#define shmem_wait_until_any(...)                                                               \
    MEMHEAP_G_FIRST(MEMHEAP_G_WAIT, wait_until_any, __VA_ARGS__)(__VA_ARGS__)
#define shmem_wait_until_some(...)                                                              \
    MEMHEAP_G_FIRST(MEMHEAP_G_WAIT, wait_until_some, __VA_ARGS__)(__VA_ARGS__)
#define shmem_wait_until_all_vector(...)                                                        \
    MEMHEAP_G_FIRST(MEMHEAP_G_WAIT, wait_until_all_vector, __VA_ARGS__)(__VA_ARGS__)
#define shmem_wait_until_any_vector(...)                                                        \
    MEMHEAP_G_FIRST(MEMHEAP_G_WAIT, wait_until_any_vector, __VA_ARGS__)(__VA_ARGS__)
#define shmem_wait_until_some_vector(...)                                                       \
    MEMHEAP_G_FIRST(MEMHEAP_G_WAIT, wait_until_some_vector, __VA_ARGS__)(__VA_ARGS__)
#define shmem_test_all(...) MEMHEAP_G_FIRST(MEMHEAP_G_WAIT, test_all, __VA_ARGS__)(__VA_ARGS__)
#define shmem_test_any(...) MEMHEAP_G_FIRST(MEMHEAP_G_WAIT, test_any, __VA_ARGS__)(__VA_ARGS__)
#define shmem_test_some(...) MEMHEAP_G_FIRST(MEMHEAP_G_WAIT, test_some, __VA_ARGS__)(__VA_ARGS__)
#define shmem_test_all_vector(...)                                                              \
    MEMHEAP_G_FIRST(MEMHEAP_G_WAIT, test_all_vector, __VA_ARGS__)(__VA_ARGS__)
#define shmem_test_any_vector(...)                                                              \
    MEMHEAP_G_FIRST(MEMHEAP_G_WAIT, test_any_vector, __VA_ARGS__)(__VA_ARGS__)
#define shmem_test_some_vector(...)                                                             \
    MEMHEAP_G_FIRST(MEMHEAP_G_WAIT, test_some_vector, __VA_ARGS__)(__VA_ARGS__)

#define shmem_broadcast(...) MEMHEAP_G_SECOND(MEMHEAP_G_RMA, broadcast, __VA_ARGS__)(__VA_ARGS__)
#define shmem_collect(...) MEMHEAP_G_SECOND(MEMHEAP_G_RMA, collect, __VA_ARGS__)(__VA_ARGS__)
#define shmem_fcollect(...) MEMHEAP_G_SECOND(MEMHEAP_G_RMA, fcollect, __VA_ARGS__)(__VA_ARGS__)
#define shmem_alltoall(...) MEMHEAP_G_SECOND(MEMHEAP_G_RMA, alltoall, __VA_ARGS__)(__VA_ARGS__)
#define shmem_alltoalls(...) MEMHEAP_G_SECOND(MEMHEAP_G_RMA, alltoalls, __VA_ARGS__)(__VA_ARGS__)
#define shmem_and_reduce(...)                                                                   \
    MEMHEAP_G_SECOND(MEMHEAP_G_BITWISE_REDUCE, and_reduce, __VA_ARGS__)(__VA_ARGS__)
#define shmem_or_reduce(...)                                                                    \
    MEMHEAP_G_SECOND(MEMHEAP_G_BITWISE_REDUCE, or_reduce, __VA_ARGS__)(__VA_ARGS__)
#define shmem_xor_reduce(...)                                                                   \
    MEMHEAP_G_SECOND(MEMHEAP_G_BITWISE_REDUCE, xor_reduce, __VA_ARGS__)(__VA_ARGS__)
#define shmem_max_reduce(...)                                                                   \
    MEMHEAP_G_SECOND(MEMHEAP_G_MINMAX_REDUCE, max_reduce, __VA_ARGS__)(__VA_ARGS__)
#define shmem_min_reduce(...)                                                                   \
    MEMHEAP_G_SECOND(MEMHEAP_G_MINMAX_REDUCE, min_reduce, __VA_ARGS__)(__VA_ARGS__)
#define shmem_sum_reduce(...)                                                                   \
    MEMHEAP_G_SECOND(MEMHEAP_G_ARITH_REDUCE, sum_reduce, __VA_ARGS__)(__VA_ARGS__)
#define shmem_prod_reduce(...)                                                                  \
    MEMHEAP_G_SECOND(MEMHEAP_G_ARITH_REDUCE, prod_reduce, __VA_ARGS__)(__VA_ARGS__)

/* shmem_sync(team) is shmem_team_sync; the deprecated shmem_sync(PE_start, logPE_stride,
 * PE_size, pSync) stays what it was. */
#define shmem_sync(...)                                                                         \
    MEMHEAP_PICK5(__VA_ARGS__, shmem_sync, memheap_shmem_generic_no_match,                      \
                  memheap_shmem_generic_no_match, shmem_team_sync, 0)(__VA_ARGS__)
#endif

#ifdef __cplusplus
}
#endif

#endif /* MEMHEAP_SHMEM_H */
