/* The last rank exits with status 3 before shmem_init; the others start the library (and wait
 * for it at the rendezvous until the launcher stops them). Nothing may be left in /dev/shm. */
#include "check.h"

int main(void) {
    const char *r = getenv("OMPI_COMM_WORLD_RANK"), *s = getenv("OMPI_COMM_WORLD_SIZE");
    if (!r) { r = getenv("MEMHEAP_RANK"); s = getenv("MEMHEAP_N_PES"); }
    if (r && s && atoi(r) == atoi(s) - 1) return 3;
    shmem_init();
    printf("early_exit: PE %d should not get here\n", shmem_my_pe());
    shmem_finalize();
    return 0;
}
