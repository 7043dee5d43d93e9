/* LD_PRELOAD shim for the message tests: every write(2) to stderr must be whole lines (end with a
 * newline), so a PE stopped mid-message never leaves a fragment and lines of different PEs never
 * interleave. A write that does not end with a newline is appended to the file named by
 * WHOLE_LINES_LOG. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

ssize_t write(int fd, const void *buf, size_t count) {
    if (fd == 2 && count > 0 && ((const char *)buf)[count - 1] != '\n') {
        const char *log = getenv("WHOLE_LINES_LOG");
        if (log) {
            int l = (int)syscall(SYS_open, log, O_WRONLY | O_APPEND | O_CREAT, 0600);
            if (l >= 0) {
                syscall(SYS_write, l, "<<", 2);
                syscall(SYS_write, l, buf, count);
                syscall(SYS_write, l, ">>\n", 3);
                syscall(SYS_close, l);
            }
        }
    }
    return syscall(SYS_write, fd, buf, count);
}
