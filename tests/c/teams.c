/* Teams and contexts: split_strided (positive and negative strides, non-members get
 * SHMEM_TEAM_INVALID), split_2d, translate_pe, get_config, team_ptr, team_sync, the shared
 * team, collectives on split teams, contexts on teams (PE numbers are team numbers), and
 * creating and destroying many more teams than there are slots. */
#include "check.h"

static int ring[64];

int main(void) {
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    CHECK(n <= 64);

    /* World and shared teams. */
    CHECK(shmem_team_my_pe(SHMEM_TEAM_WORLD) == me && shmem_team_n_pes(SHMEM_TEAM_WORLD) == n);
    CHECK(shmem_team_my_pe(SHMEM_TEAM_SHARED) == me && shmem_team_n_pes(SHMEM_TEAM_SHARED) == n);
    CHECK(shmem_team_translate_pe(SHMEM_TEAM_SHARED, me, SHMEM_TEAM_WORLD) == me);
    CHECK(shmem_team_sync(SHMEM_TEAM_SHARED) == 0);
    CHECK(shmem_team_my_pe(SHMEM_TEAM_INVALID) == -1);
    CHECK(shmem_team_n_pes(SHMEM_TEAM_INVALID) == -1);
    CHECK(shmem_team_translate_pe(SHMEM_TEAM_INVALID, 0, SHMEM_TEAM_WORLD) == -1);
    CHECK(shmem_team_sync(SHMEM_TEAM_INVALID) != 0);

    /* Odd PEs, backwards: start n-1 (or n-2), stride -2. */
    int last_odd = (n - 1) % 2 ? n - 1 : n - 2;
    int n_odd = n / 2;
    shmem_team_t odd = SHMEM_TEAM_INVALID;
    if (n_odd > 0) {
        shmem_team_config_t cfg = {.num_contexts = 2};
        CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, last_odd, -2, n_odd, &cfg,
                                       SHMEM_TEAM_NUM_CONTEXTS, &odd) == 0);
        if (me % 2) {
            CHECK(odd != SHMEM_TEAM_INVALID);
            int mine = (last_odd - me) / 2;
            CHECK(shmem_team_my_pe(odd) == mine);
            CHECK(shmem_team_n_pes(odd) == n_odd);
            CHECK(shmem_team_translate_pe(SHMEM_TEAM_WORLD, me, odd) == mine);
            CHECK(shmem_team_translate_pe(odd, 0, SHMEM_TEAM_WORLD) == last_odd);
            shmem_team_config_t got = {.num_contexts = -1};
            CHECK(shmem_team_get_config(odd, SHMEM_TEAM_NUM_CONTEXTS, &got) == 0);
            CHECK(got.num_contexts == 2);
            /* A reduction and a broadcast on the team: only odd PEs take part. */
            static long v, sum;
            v = me;
            CHECK(shmem_long_sum_reduce(odd, &sum, &v, 1) == 0);
            long want = 0;
            for (int p = 1; p < n; p += 2) want += p;
            CHECK(sum == want);
            CHECK(shmem_team_sync(odd) == 0); /* every sum read before the broadcast writes */
            CHECK(shmem_long_broadcast(odd, &sum, &v, 1, n_odd - 1) == 0);
            CHECK(sum == 1); /* team PE n_odd-1 is world PE 1 */
            /* A context on the team: PE numbers are team numbers. */
            shmem_ctx_t ctx;
            CHECK(shmem_team_create_ctx(odd, 0, &ctx) == 0);
            shmem_team_t back;
            CHECK(shmem_ctx_get_team(ctx, &back) == 0 && back == odd);
            int next = (mine + 1) % n_odd;
            shmem_ctx_int_p(ctx, &ring[0], me, next);
            shmem_ctx_quiet(ctx);
            CHECK(shmem_team_sync(odd) == 0);
            int prev_world = shmem_team_translate_pe(odd, (mine + n_odd - 1) % n_odd,
                                                     SHMEM_TEAM_WORLD);
            CHECK(ring[0] == prev_world);
            CHECK(shmem_ctx_int_atomic_fetch_add(ctx, &ring[1], 1, 0) >= 0);
            CHECK(shmem_team_ptr(odd, &ring[0], next) ==
                  shmem_ptr(&ring[0], shmem_team_translate_pe(odd, next, SHMEM_TEAM_WORLD)));
            CHECK(shmem_team_ptr(odd, &ring[0], n_odd) == NULL);
            shmem_ctx_destroy(ctx);
        } else {
            CHECK(odd == SHMEM_TEAM_INVALID);
            CHECK(shmem_team_get_config(odd, SHMEM_TEAM_NUM_CONTEXTS, NULL) != 0);
        }
    }
    shmem_barrier_all();
    if (me == last_odd && n_odd > 0) CHECK(ring[1] == n_odd);

    /* split_2d with rows of 2: x is my row, y my column. */
    shmem_team_t x, y;
    CHECK(shmem_team_split_2d(SHMEM_TEAM_WORLD, 2, NULL, 0, &x, NULL, 0, &y) == 0);
    CHECK(shmem_team_my_pe(x) == me % 2);
    CHECK(shmem_team_n_pes(x) == ((me / 2) * 2 + 1 < n ? 2 : 1));
    CHECK(shmem_team_my_pe(y) == me / 2);
    CHECK(shmem_team_n_pes(y) == (n - me % 2 + 1) / 2);
    static int xs, ys, col;
    xs = me;
    CHECK(shmem_int_sum_reduce(x, &ys, &xs, 1) == 0);
    CHECK(ys == ((me / 2) * 2 + 1 < n ? 2 * (me / 2) * 2 + 1 : me));
    CHECK(shmem_int_max_reduce(y, &col, &xs, 1) == 0);
    int lastcol = me % 2;
    while (lastcol + 2 < n) lastcol += 2;
    CHECK(col == lastcol);
    shmem_team_destroy(x);
    shmem_team_destroy(y);
    if (odd != SHMEM_TEAM_INVALID) shmem_team_destroy(odd);

    /* Invalid splits fail on every PE alike; a split of a non-member's parent is refused. */
    shmem_team_t bad = (shmem_team_t)&ring;
    CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, 0, 1, n + 1, NULL, 0, &bad) != 0);
    CHECK(bad == SHMEM_TEAM_INVALID);
    CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, 0, 0, 2, NULL, 0, &bad) != 0 || n < 2);
    CHECK(shmem_team_split_strided(SHMEM_TEAM_INVALID, 0, 1, 1, NULL, 0, &bad) != 0);

    /* Far more creations than slots: destroyed teams give their slot back. */
    for (int i = 0; i < 300; i++) {
        shmem_team_t t;
        CHECK(shmem_team_split_strided(SHMEM_TEAM_WORLD, i % n, 1, 1, NULL, 0, &t) == 0);
        CHECK((t != SHMEM_TEAM_INVALID) == (me == i % n));
        if (t != SHMEM_TEAM_INVALID) {
            CHECK(shmem_team_sync(t) == 0);
            shmem_team_destroy(t);
        }
    }
    /* Keeping teams alive exhausts the slots: the failure is the same on every PE. */
    shmem_team_t kept[200];
    int made = 0;
    for (; made < 200; made++)
        if (shmem_team_split_strided(SHMEM_TEAM_WORLD, 0, 1, n, NULL, 0, &kept[made]) != 0) break;
    CHECK(made >= 100 && made < 200);
    static int made_sum, made_mine;
    made_mine = made;
    CHECK(shmem_int_sum_reduce(SHMEM_TEAM_WORLD, &made_sum, &made_mine, 1) == 0);
    CHECK(made_sum == made * n);
    for (int i = 0; i < made; i++) shmem_team_destroy(kept[i]);

    printf("teams: PE %d ok\n", me);
    shmem_finalize();
    return 0;
}
