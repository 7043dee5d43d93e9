/* shmem_global_exit from one PE ends the whole job with its status; the others are blocked in a
 * barrier that will never complete. */
#include "check.h"

int main(void) {
    shmem_init();
    if (shmem_my_pe() == shmem_n_pes() - 1) {
        sleep_ms(50);
        shmem_global_exit(7);
    }
    shmem_barrier_all(); /* the exiting PE never arrives */
    shmem_barrier_all();
    printf("global_exit: PE %d should not get here\n", shmem_my_pe());
    return 0;
}
