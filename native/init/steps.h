#ifndef MINICON_STEPS_H
#define MINICON_STEPS_H
#include "sync.h"
/* The container side after clone: wait for GO, run every planned step, report each, exec.
 * Never returns. start_fd: the monitor's start pipe; status_fd: where errors go after READY. */
void child_main(struct plan *plan, int start_fd, int status_fd, uint64_t clone_ns) __attribute__((noreturn));
uint64_t now_ns(void);
#endif
