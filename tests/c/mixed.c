/* Different heap components on different PEs must be refused at shmem_init: with one PE on
 * another component the heaps are not symmetric (a put would land elsewhere). argv[1]:
 * "component" (the last PE sets MEMHEAP_COMPONENT=buddy, the others ptmalloc), "priority" (the
 * last PE raises MEMHEAP_PTMALLOC_PRIORITY above the default component's), or "none" (the
 * launcher's environment decides, as in mpirun's "-x VAR=... : -x VAR=..." form). */
#include "check.h"
#include <string.h>

static int box;

static int last_pe(void) {
    const char *r = getenv("MEMHEAP_RANK"), *s = getenv("MEMHEAP_N_PES");
    if (!r) { r = getenv("OMPI_COMM_WORLD_RANK"); s = getenv("OMPI_COMM_WORLD_SIZE"); }
    return r && s && atoi(r) == atoi(s) - 1;
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    int last = last_pe();
    if (!strcmp(argv[1], "component")) setenv("MEMHEAP_COMPONENT", last ? "buddy" : "ptmalloc", 1);
    else if (!strcmp(argv[1], "priority")) { if (last) setenv("MEMHEAP_PTMALLOC_PRIORITY", "1000", 1); }
    else CHECK(!strcmp(argv[1], "none"));
    shmem_init();
    int me = shmem_my_pe(), n = shmem_n_pes();
    int *slot = shmem_malloc(sizeof(int));
    CHECK(slot != NULL);
    *slot = -1;
    shmem_barrier_all();
    shmem_int_p(slot, me, (me + 1) % n);
    shmem_int_p(&box, me, (me + 1) % n);
    shmem_barrier_all();
    printf("mixed: PE %d received %d through the heap and %d through static data\n", me, *slot, box);
    shmem_finalize();
    return 0;
}
