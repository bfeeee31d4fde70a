/*
 * Job control: a process stopped by a stop signal and continued by
 * SIGCONT, as a shell's `kill -STOP`, `bg` and `fg` expect.  Contract for
 * linux/signal.c (which calls these as signals are sent and delivered) and
 * linux/sys_wait.c (which reports process.stop_report).
 */
#ifndef MONOS_LINUX_JOBCTL_H
#define MONOS_LINUX_JOBCTL_H

#include "linux/process.h"

/*
 * Stop the calling process by `sig` (a stop signal whose action is the
 * default, at delivery: Linux's do_signal_stop) and sleep until SIGCONT or
 * SIGKILL; record the status for WUNTRACED and tell the parent.  PID 1
 * never stops (a container's init: nothing in the instance could continue
 * it).  Process context, no lock held.
 */
void jobctl_stop(int sig);

/*
 * Continue stopped process `p` (SIGCONT sent to it, even ignored or
 * blocked: Linux's prepare_signal); record the status for WCONTINUED and
 * tell the parent.  Process context, no lock held.
 */
void jobctl_continue(struct process *p);

#endif
