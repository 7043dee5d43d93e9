/* memheap.h: the allocator alone, over caller storage; one over a region it never touches. */
#include <memheap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); return 1; } } while (0)

static uint64_t meta_storage[1 << 16];

int main(void) {
    memheap_config_t cfg = MEMHEAP_CONFIG_DEFAULT;
    cfg.capacity = 64;

    /* 1. "Device memory": an address range nobody maps. The heap never touches it. */
    void *device = (void *)(uintptr_t)0x100000000000ull;
    size_t dev_len = (size_t)3 << 30; /* 3 GiB: not a power of two */
    size_t need = memheap_metadata_bytes(dev_len, &cfg);
    CHECK(need > 0);
    void *dmeta = malloc(need);
    memheap_t *dev;
    CHECK(memheap_init(&dev, device, dev_len, dmeta, need - 8, &cfg) == MEMHEAP_ERR_METADATA_TOO_SMALL);
    CHECK(memheap_init(&dev, device, dev_len, dmeta, need, &cfg) == MEMHEAP_OK);
    void *a, *b;
    CHECK(memheap_alloc(dev, (size_t)2 << 30, 4096, &a) == MEMHEAP_OK);
    CHECK(a == device);
    CHECK(memheap_alloc(dev, 1000, 64, &b) == MEMHEAP_OK);
    CHECK((uintptr_t)b % 64 == 0);
    CHECK(memheap_usable_size(dev, b) == 1024); /* 1000 B rounded to its size class */
    CHECK(memheap_alloc(dev, (size_t)2 << 30, 16, &a) == MEMHEAP_ERR_OUT_OF_MEMORY);
    CHECK(memheap_alloc(dev, 16, 3, &a) == MEMHEAP_ERR_BAD_ALIGNMENT);
    CHECK(memheap_free(dev, (char *)b + 16) == MEMHEAP_ERR_INVALID_POINTER);
    CHECK(memheap_free(dev, b) == MEMHEAP_OK);
    CHECK(memheap_free(dev, b) == MEMHEAP_ERR_DOUBLE_FREE);
    CHECK(memheap_free(dev, device) == MEMHEAP_OK);
    memheap_stats_t st;
    CHECK(memheap_get_stats(dev, &st) == MEMHEAP_OK);
    /* b waits on its class's free list until an allocation needs it, or a flush. */
    CHECK(st.bytes_listed == 1024 && st.bytes_free + st.bytes_listed == dev_len);
    CHECK(memheap_flush(dev) == MEMHEAP_OK);
    CHECK(memheap_get_stats(dev, &st) == MEMHEAP_OK);
    CHECK(st.region_bytes == dev_len && st.bytes_free == dev_len && st.live_blocks == 0);
    CHECK(memheap_check(dev) == MEMHEAP_OK);
    CHECK(strstr(memheap_strerror(MEMHEAP_ERR_DOUBLE_FREE), "double free") != NULL);
    free(dmeta);

    /* 2. A host heap with static metadata: realloc keeps contents; capacity is an error. */
    static char region[1 << 20] __attribute__((aligned(4096)));
    need = memheap_metadata_bytes(sizeof region, &cfg);
    CHECK(need <= sizeof meta_storage);
    memheap_t *h;
    CHECK(memheap_init(&h, region, sizeof region, meta_storage, sizeof meta_storage, &cfg) == MEMHEAP_OK);
    void *p;
    CHECK(memheap_alloc(h, 100, 16, &p) == MEMHEAP_OK);
    memset(p, 0x5a, 100);
    void *blocker;
    CHECK(memheap_alloc(h, 100, 16, &blocker) == MEMHEAP_OK);
    void *q;
    CHECK(memheap_resize_in_place(h, p, 5000) == MEMHEAP_ERR_NO_ROOM_IN_PLACE);
    CHECK(memheap_realloc(h, p, 5000, 16, &q) == MEMHEAP_OK);
    CHECK(q != p);
    for (int i = 0; i < 100; i++) CHECK(((unsigned char *)q)[i] == 0x5a);
    CHECK(memheap_free(h, p) == MEMHEAP_ERR_DOUBLE_FREE);
    void *blocks[64];
    int n = 0;
    memheap_status_t s;
    while ((s = memheap_alloc(h, 16, 16, &blocks[n])) == MEMHEAP_OK) n++;
    CHECK(s == MEMHEAP_ERR_CAPACITY);
    CHECK(n == 62); /* 64 live blocks: q, blocker and 62 more */
    for (int i = 0; i < n; i++) CHECK(memheap_free(h, blocks[i]) == MEMHEAP_OK);
    CHECK(memheap_free(h, q) == MEMHEAP_OK);
    CHECK(memheap_free(h, blocker) == MEMHEAP_OK);
    CHECK(memheap_check(h) == MEMHEAP_OK);
    CHECK(memheap_alloc(NULL, 16, 16, &p) == MEMHEAP_ERR_NULL_ARGUMENT);
    printf("embed: ok\n");
    return 0;
}
