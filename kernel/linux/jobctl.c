/*
 * Job control: stopping and continuing processes (Linux's do_signal_stop,
 * prepare_signal's SIGCONT, do_notify_parent_cldstop).  A stop is taken by
 * the thread that dequeues the stop signal, which sleeps in the kernel on
 * its way back to ring 3; the process's other threads stop at their own
 * next delivery check only if they see a signal (Linux stops them all at
 * once: a known gap, harmless for shells' single-threaded jobs).
 */
#include "linux/jobctl.h"
#include "core/cred.h"
#include "core/sched.h"
#include "linux/signal.h"

#define WAIT_STOPPED   0x7f   /* a stop's wait status: (sig << 8) | 0x7f */
#define WAIT_CONTINUED 0xffff /* a continue's (W_CONTINUED, uapi/linux/wait.h) */

/* Record what the parent's wait will report and tell it: SIGCHLD with
 * CLD_STOPPED or CLD_CONTINUED unless it set SA_NOCLDSTOP, and a wake-up
 * for a parent in wait. */
static void notify_parent(struct process *p, int code, int sig)
{
	struct thread *t = process_main_thread(p);
	struct ksiginfo info = { .signo = SIGCHLD, .code = code, .status = sig, .pid = p->pid };

	p->stop_report = code == CLD_STOPPED ? (sig << 8) | WAIT_STOPPED : WAIT_CONTINUED;
	if (t)
		info.uid = t->cred->uid;
	if (p->parent && !signal_child_stop_quiet(p->parent))
		signal_send_process(p->parent, &info);
	sched_wake_all();
}

static bool continued(void *arg)
{
	const struct process *p = arg;

	return !p->stopped || p->exiting;
}

void jobctl_stop(int sig)
{
	struct process *p = process_current();

	if (p->pid == 1 || p->exiting)
		return;
	p->stopped = true;
	notify_parent(p, CLD_STOPPED, sig);
	sched_wait_uninterruptible(continued, p);
}

void jobctl_continue(struct process *p)
{
	p->stopped = false;
	notify_parent(p, CLD_CONTINUED, SIGCONT);
}
