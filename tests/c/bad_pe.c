/* An out-of-range PE, or a non-symmetric (stack) address: argv[1] names the routine to misuse. The library must print an error that
 * names the routine and the PE and end the job with a non-zero status, never touch memory. */
#include "check.h"
#include <string.h>

int main(int argc, char **argv) {
    shmem_init();
    CHECK(argc == 2);
    int bad = shmem_n_pes() + 3;
    long *x = shmem_malloc(sizeof(long));
    CHECK(x != NULL);
    long v = 1;
    const char *r = argv[1];
    if (!strcmp(r, "shmem_long_p")) shmem_long_p(x, 5, bad);
    else if (!strcmp(r, "shmem_long_g")) v = shmem_long_g(x, bad);
    else if (!strcmp(r, "shmem_putmem")) shmem_putmem(x, &v, sizeof v, bad);
    else if (!strcmp(r, "shmem_getmem")) shmem_getmem(&v, x, sizeof v, -1);
    else if (!strcmp(r, "shmem_int_iput")) shmem_int_iput((int *)x, (int *)&v, 1, 1, 1, bad);
    else if (!strcmp(r, "shmem_put64")) shmem_put64(x, &v, 1, bad);
    else if (!strcmp(r, "shmem_ptr")) (void)shmem_ptr(x, bad);
    else if (!strcmp(r, "stack_put")) { long local = 0; shmem_putmem(&local, &v, sizeof v, shmem_my_pe()); }
    else if (!strcmp(r, "stack_get")) { long local = 0; shmem_long_get(&v, &local, 1, (shmem_my_pe() + 1) % shmem_n_pes()); }
    else CHECK(0 && "unknown routine");
    printf("bad_pe: returned from %s (v=%ld)\n", r, v);
    shmem_finalize();
    return 0;
}
