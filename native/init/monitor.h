#ifndef MINICON_MONITOR_H
#define MINICON_MONITOR_H
#include "sync.h"
#include <sys/types.h>
struct monitor {
  pid_t pid;        /* the container's pid 1, host view */
  int pidfd;
  int listen_fd;    /* ctl.sock */
  int start_fd;     /* write end of the start pipe; -1 once started */
  int status_fd;    /* read end of the child's close-on-exec status pipe */
};
int monitor_listen(void);
/* Serves ctl.sock until pid 1 exits; records exit.json; returns the container's status. */
int monitor_loop(struct monitor *m);
#endif
