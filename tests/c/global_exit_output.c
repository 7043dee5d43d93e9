/* shmem_global_exit keeps the caller's exit(status) behaviour: its buffered output is written
 * and its atexit handlers run (even a slow one), while the job ends with its status. */
#include "check.h"

static int me;

static void bye(void) {
    sleep_ms(300); /* a slow handler (a log being written, say) */
    printf("global_exit_output: atexit handler of PE %d ran\n", me);
}

int main(void) {
    shmem_init();
    me = shmem_my_pe();
    int n = shmem_n_pes();
    if (me == n - 1) {
        atexit(bye);
        printf("global_exit_output: PE %d says goodbye\n", me); /* buffered: stdout is a pipe */
        shmem_global_exit(2);
    }
    shmem_barrier_all(); /* the exiting PE never arrives */
    printf("global_exit_output: PE %d should not get here\n", me);
    return 0;
}
