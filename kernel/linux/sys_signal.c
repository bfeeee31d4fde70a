/*
 * Signal system calls: actions and masks, sending (kill, tgkill, tkill,
 * rt_sigqueueinfo, rt_tgsigqueueinfo), waiting (rt_sigsuspend, rt_sigtimedwait, pause),
 * rt_sigpending, sigaltstack and rt_sigreturn.  Delivery is linux/signal.c.
 */
#include "linux/syscall.h"
#include "arch/x86_64/cpu.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "linux/signal.h"
#include "linux/process.h"

#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

uint64_t signal_handler_of(int signo)
{
	return signo >= 1 && signo <= NSIG ? signal_action(signo)->handler : SIG_DFL;
}

/* Whether setting `handler` for `sig` discards it when pending: SIG_IGN, or
 * SIG_DFL for the signals whose default is to be ignored (Linux's
 * sig_handler_ignored with sig_kernel_ignore; the stop signals are not
 * among them). */
static bool discards(int sig, uint64_t handler)
{
	return handler == SIG_IGN || (handler == SIG_DFL && (sig == SIGCHLD || sig == SIGCONT ||
							     sig == SIGURG || sig == SIGWINCH));
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
	if (oact && copy_to_user(oact, signal_action(sig), sizeof(na)))
		return -EFAULT;
	if (act) {
		na.mask &= ~UNBLOCKABLE;
		*signal_action(sig) = na;
		if (discards(sig, na.handler))
			signal_discard(sig);
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

/* Linux's check_kill_permission: the sender's ids against the target's,
 * or CAP_KILL; SIGCONT within a session is always allowed.  A zombie takes
 * nothing but is no error. */
static long may_send(struct process *p, long sig)
{
	struct thread *t = process_main_thread(p);

	if (sig < 0 || sig > NSIG)
		return -EINVAL;
	if (t && !cred_may_signal(t->cred) && !(sig == SIGCONT && p->sid == process_current()->sid))
		return -EPERM;
	return 0;
}

/* Send `info` (signal `sig`, 0 to probe) to process `p`. */
static long send_process(struct process *p, long sig, const struct ksiginfo *info)
{
	long r = may_send(p, sig);

	if (r || !sig || p->state != PROCESS_LIVE)
		return r;
	return signal_send_process(p, info) < 0 ? -EAGAIN : 0;
}

/* Send to thread `t` of process `tgid` (0: any process). */
static long send_thread(int tgid, int tid, int sig, const struct ksiginfo *info)
{
	struct thread *t = sched_find(tid);
	long r;

	if (!t || (tgid && process_of(t)->pid != tgid))
		return -ESRCH;
	if ((r = may_send(process_of(t), sig)) || !sig)
		return r;
	return signal_send(t, info) < 0 ? -EAGAIN : 0;
}

/* A user's signal: who sent it. */
static struct ksiginfo user_info(long sig, int code)
{
	return (struct ksiginfo){
		.signo = sig, .code = code, .pid = sys_getpid(), .uid = cred_current()->uid
	};
}

/* Linux's kill_something_info: a process, a group (0: the caller's), or
 * with -1 every process but PID 1 and the caller. */
long sys_kill(int pid, int sig)
{
	struct ksiginfo info = user_info(sig, SI_USER);
	struct process *self = process_current(), *p;
	long err = -ESRCH, r;
	bool sent = false;

	if (pid > 0) {
		p = process_find(pid);
		return p ? send_process(p, sig, &info) : -ESRCH;
	}
	if (pid == INT32_MIN) /* no group has its negation */
		return -ESRCH;
	for (p = process_next(NULL); p; p = process_next(p)) {
		if (pid == -1 ? (p->pid == 1 || p == self) : p->pgid != (pid ? -pid : self->pgid))
			continue;
		r = send_process(p, sig, &info);
		sent |= !r;
		if (pid != -1 || r != -EPERM)
			err = r;
	}
	return sent ? 0 : err;
}

long sys_tgkill(int tgid, int tid, int sig)
{
	struct ksiginfo info = user_info(sig, SI_TKILL);

	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	return send_thread(tgid, tid, sig, &info);
}

long sys_tkill(int tid, int sig)
{
	struct ksiginfo info = user_info(sig, SI_TKILL);

	if (tid <= 0)
		return -EINVAL;
	return send_thread(0, tid, sig, &info);
}

/*
 * Read the siginfo a program hands rt_(tg)sigqueueinfo at `uinfo`.  Linux
 * lets a program forge any si_code for itself (`self`: the target is the
 * caller: its process, or for rt_tgsigqueueinfo its thread), and for
 * another only negative codes other than SI_TKILL, sigqueue's kind: EPERM.
 */
static long read_info(struct ksiginfo *info, long sig, uint64_t uinfo, bool self)
{
	int32_t si[8];

	if (copy_from_user(si, uinfo, sizeof(si)))
		return -EFAULT;
	if ((si[2] >= 0 || si[2] == SI_TKILL) && !self)
		return -EPERM;
	memset(info, 0, sizeof(*info));
	info->signo = sig;
	info->code = si[2];
	if (info->code == SI_TIMER) {
		info->timerid = si[4];
		info->overrun = si[5];
	} else {
		info->pid = si[4];
		info->uid = si[5];
	}
	memcpy(&info->value, &si[6], 8);
	return 0;
}

long sys_rt_sigqueueinfo(int pid, int sig, uint64_t uinfo)
{
	struct ksiginfo info;
	struct process *p = pid > 0 ? process_find(pid) : NULL;
	long r = read_info(&info, sig, uinfo, p == process_current());

	if (r)
		return r;
	return p ? send_process(p, sig, &info) : -ESRCH;
}

long sys_rt_tgsigqueueinfo(int tgid, int tid, int sig, uint64_t uinfo)
{
	struct ksiginfo info;
	long r;

	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	if ((r = read_info(&info, sig, uinfo, tid == sched_current()->tid)))
		return r;
	return send_thread(tgid, tid, sig, &info);
}

static bool never(void *arg)
{
	return false;
}

long sys_rt_sigsuspend(uint64_t umask, size_t sigsetsize)
{
	struct thread *t = sched_current();
	uint64_t mask;

	if (sigsetsize != sizeof(uint64_t))
		return -EINVAL;
	if (copy_from_user(&mask, umask, sizeof(mask)))
		return -EFAULT;
	/* Wait under the given mask; the handler's frame restores the old. */
	signal_set_saved_mask(t->sigmask);
	t->sigmask = mask & ~UNBLOCKABLE;
	sched_wait(never, NULL, 0);
	return -EINTR;
}

long sys_pause(void)
{
	sched_wait(never, NULL, 0);
	return -EINTR;
}

long sys_rt_sigpending(uint64_t uset, size_t sigsetsize)
{
	uint64_t set = signal_pending_set() & sched_current()->sigmask;

	if (sigsetsize > sizeof(set))
		return -EINVAL;
	return copy_to_user(uset, &set, sigsetsize);
}

static bool pending_in(void *arg)
{
	return signal_pending_set() & *(uint64_t *)arg;
}

long sys_rt_sigtimedwait(uint64_t uset, uint64_t uinfo, uint64_t uts, size_t sigsetsize)
{
	struct thread *t = sched_current();
	struct ksiginfo info;
	uint64_t set, deadline = 0, saved = t->sigmask;
	int64_t ts[2];
	int sig;

	if (sigsetsize != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, uset, sizeof(set)))
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	if (uts) {
		if (copy_from_user(ts, uts, sizeof(ts)))
			return -EFAULT;
		if (ts[0] < 0 || ts[1] < 0 || ts[1] >= (int64_t)NSEC_PER_SEC)
			return -EINVAL;
		deadline = time_monotonic_ns() + ts[0] * NSEC_PER_SEC + ts[1];
	}
	/* The awaited signals count as unblocked while we wait for them. */
	t->sigmask &= ~set;
	long r = sched_wait(pending_in, &set, deadline);
	t->sigmask = saved;
	if (!(sig = signal_dequeue(set, &info)))
		return r == -ETIMEDOUT ? -EAGAIN : -EINTR;
	if (uinfo && signal_put_siginfo(uinfo, &info))
		return -EFAULT;
	return sig;
}

long sys_sigaltstack(uint64_t uss, uint64_t uoss)
{
	return signal_altstack(uss, uoss, sched_user_regs(sched_current())->rsp);
}

long sys_rt_sigreturn(void)
{
	return signal_sigreturn(sched_user_regs(sched_current()));
}

long sys_exit_group(long status)
{
	process_exit_group((status & 0xff) << 8);
}
