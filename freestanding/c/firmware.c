/*
 * A C "firmware" program with no C library at all: built with -ffreestanding -nostdlib
 * -static, its own _start and exit syscall (x86-64 Linux), its own memcpy & co., linked with
 * libmemheap_embed.a. It runs a heap over a static array with metadata in another static,
 * allocates, reallocates, frees, checks bad frees and the invariants, and exits 0, or with the
 * number of the first check that failed.
 */
#include <stddef.h>
#include <stdint.h>
#include <memheap.h>

static long sys3(long n, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
static void put(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    sys3(1, 1, (long)s, (long)n);
}
static __attribute__((noreturn)) void leave(int code) {
    sys3(231, code, 0, 0);
    __builtin_unreachable();
}

/* The memory functions the compiler and the library call: the firmware's own. */
void *memcpy(void *d, const void *s, size_t n) {
    unsigned char *dp = d; const unsigned char *sp = s;
    while (n--) *dp++ = *sp++;
    return d;
}
void *memmove(void *d, const void *s, size_t n) {
    unsigned char *dp = d; const unsigned char *sp = s;
    if (dp < sp) { while (n--) *dp++ = *sp++; }
    else { dp += n; sp += n; while (n--) *--dp = *--sp; }
    return d;
}
void *memset(void *d, int c, size_t n) {
    unsigned char *dp = d;
    while (n--) *dp++ = (unsigned char)c;
    return d;
}
int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++) if (*x != *y) return *x - *y;
    return 0;
}
int bcmp(const void *a, const void *b, size_t n) { return memcmp(a, b, n); }

#define ARENA (64u << 10)
static unsigned char arena[ARENA] __attribute__((aligned(64)));
static uint64_t meta[1024];

#define CHECK(n, cond) do { if (!(cond)) { put("firmware: check failed\n"); leave(n); } } while (0)

static int run(void) {
    memheap_config_t cfg = MEMHEAP_CONFIG_DEFAULT;
    size_t need = memheap_metadata_bytes(ARENA, &cfg);
    CHECK(1, need > 0 && need <= sizeof meta);
    CHECK(2, need * 16 <= ARENA); /* metadata well under 1/16 of a 64 KiB arena */
    memheap_t *h;
    CHECK(3, memheap_init(&h, arena, ARENA, meta, sizeof meta, &cfg) == MEMHEAP_OK);
    void *p[16];
    for (int i = 0; i < 16; i++) {
        CHECK(4, memheap_alloc(h, 100 + 200 * (size_t)i, 16, &p[i]) == MEMHEAP_OK);
        CHECK(5, (uintptr_t)p[i] % 16 == 0);
        memset(p[i], i, 100);
    }
    void *q;
    CHECK(6, memheap_realloc(h, p[3], 9000, 16, &q) == MEMHEAP_OK);
    for (int k = 0; k < 100; k++) CHECK(7, ((unsigned char *)q)[k] == 3);
    p[3] = q;
    void *a;
    CHECK(8, memheap_alloc(h, 100, 4096, &a) == MEMHEAP_OK && (uintptr_t)a % 4096 == 0);
    CHECK(9, memheap_free(h, (char *)a + 16) == MEMHEAP_ERR_INVALID_POINTER);
    CHECK(10, memheap_free(h, a) == MEMHEAP_OK);
    CHECK(11, memheap_free(h, a) == MEMHEAP_ERR_DOUBLE_FREE);
    CHECK(12, memheap_alloc(h, 1u << 20, 16, &a) == MEMHEAP_ERR_OUT_OF_MEMORY);
    for (int i = 0; i < 16; i++) CHECK(13, memheap_free(h, p[i]) == MEMHEAP_OK);
    CHECK(14, memheap_check(h) == MEMHEAP_OK);
    CHECK(15, memheap_flush(h) == MEMHEAP_OK);
    memheap_stats_t st;
    CHECK(16, memheap_get_stats(h, &st) == MEMHEAP_OK);
    CHECK(17, st.live_blocks == 0 && st.bytes_free == st.region_bytes);
    return 0;
}

void __attribute__((used)) c_start(void) {
    run();
    put("firmware: memheap_embed in a -nostdlib C program: alloc, realloc, free, check ok\n");
    leave(0);
}

__asm__(".globl _start\n"
        "_start:\n"
        "  xor %rbp, %rbp\n"
        "  and $-16, %rsp\n"
        "  call c_start\n"
        "  ud2\n");
