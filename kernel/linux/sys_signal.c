/*
 * Signal system calls, first part: handlers and masks are recorded exactly
 * as Linux records them (so libc start-up and programs that set them work);
 * delivery to handlers comes with the signals issue.  Until then a signal
 * whose action is not "ignore" ends the program as its default action would.
 */
#include "linux/syscall.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/uaccess.h"

#define SIGSTOP	    19
#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define SA_RESTORER 0x04000000
#define SIGCHLD	    17
#define SIGCONT	    18
#define SIGURG	    23
#define SIGWINCH    28
#define UNBLOCKABLE ((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)))

/* struct sigaction as the kernel sees it (x86-64, with sa_restorer). */
struct sigaction_k {
	uint64_t handler, flags, restorer, mask;
};

static struct sigaction_k actions[NSIG];

uint64_t signal_handler_of(int signo)
{
	return signo >= 1 && signo <= NSIG ? actions[signo - 1].handler : SIG_DFL;
}

long sys_rt_sigaction(long sig, uint64_t act, uint64_t oact, size_t sigsetsize)
{
	struct sigaction_k na;

	if (sigsetsize != sizeof(uint64_t))
		return -EINVAL;
	if (sig < 1 || sig > NSIG)
		return -EINVAL;
	if (act && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (act && copy_from_user(&na, act, sizeof(na)))
		return -EFAULT;
	if (oact && copy_to_user(oact, &actions[sig - 1], sizeof(na)))
		return -EFAULT;
	if (act) {
		na.mask &= ~UNBLOCKABLE;
		actions[sig - 1] = na;
	}
	return 0;
}

long sys_rt_sigprocmask(long how, uint64_t set, uint64_t oset, size_t sigsetsize)
{
	struct thread *t = sched_current();
	uint64_t s, old = t->sigmask;

	if (sigsetsize != sizeof(uint64_t))
		return -EINVAL;
	if (set) {
		if (copy_from_user(&s, set, sizeof(s)))
			return -EFAULT;
		switch (how) {
		case SIG_BLOCK:
			t->sigmask |= s;
			break;
		case SIG_UNBLOCK:
			t->sigmask &= ~s;
			break;
		case SIG_SETMASK:
			t->sigmask = s;
			break;
		default:
			return -EINVAL;
		}
		t->sigmask &= ~UNBLOCKABLE;
	}
	if (oset && copy_to_user(oset, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* Signals whose default action is to do nothing. */
static bool default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

/* Send `sig` to the program: until delivery exists, ignored signals are
 * dropped and every other one ends the program. */
static long send_signal(long sig)
{
	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if (sig == 0)
		return 0; /* a probe: the process exists */
	if (actions[sig - 1].handler == SIG_IGN ||
	    (actions[sig - 1].handler == SIG_DFL && default_ignored(sig)))
		return 0;
	process_kill(sig, 0, 0);
}

long sys_kill(long pid, long sig)
{
	if (pid != 1 && pid != 0 && pid != -1)
		return -ESRCH;
	return send_signal(sig);
}

long sys_tgkill(long tgid, long tid, long sig)
{
	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	if (tgid != 1 || tid != sched_current()->tid)
		return -ESRCH;
	return send_signal(sig);
}

long sys_tkill(long tid, long sig)
{
	if (tid <= 0)
		return -EINVAL;
	if (tid != sched_current()->tid)
		return -ESRCH;
	return send_signal(sig);
}

long sys_exit_group(long status)
{
	process_exit(status & 0xff);
}
