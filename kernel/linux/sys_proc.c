/*
 * Process-wide calls a program makes about itself: its session and process
 * group, scheduling (policy, priority, affinity, yield),
 * resource usage, prctl (the capability options are in sys_cred.c with the
 * credentials); and pipe/pipe2, whose files live in fs/pipe.c and whose
 * SIGPIPE policy lives here.
 *
 * monos has one CPU: what a call would change elsewhere on Linux (policy,
 * priority, affinity, dumpable...) is validated as Linux validates it and
 * then remembered per process, so the program reads back what it set.
 */
#include "linux/syscall.h"
#include "linux/signal.h"
#include "linux/process.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "core/vm.h"
#include "fs/vfs.h"
#include "linux/uapi.h"

/* ------------------------------------------------------------- pipes */

#define PIPE2_FLAGS (O_CLOEXEC | O_NONBLOCK | O_DIRECT)

/*
 * A write found a pipe without readers: Linux sends SIGPIPE to the writing
 * thread (its default action ends the program) and the write fails with
 * EPIPE, which a program that ignores, blocks or catches SIGPIPE sees.
 */
static void pipe_sigpipe(void)
{
	struct ksiginfo info = { .signo = SIGPIPE, .code = SI_USER, .pid = 1 };
	signal_send(sched_current(), &info);
}

long sys_pipe2(uint64_t ufds, int flags)
{
	struct file *ends[2];
	int fds[2];
	long r;

	/* O_NOTIFICATION_PIPE needs CONFIG_WATCH_QUEUE: none here. */
	if (flags & ~PIPE2_FLAGS)
		return -EINVAL;
	if ((r = pipe_create(ends, flags, pipe_sigpipe)))
		return r;
	fds[0] = fd_install(ends[0], 0, flags & O_CLOEXEC);
	fds[1] = fds[0] < 0 ? -EMFILE : fd_install(ends[1], 0, flags & O_CLOEXEC);
	if (fds[1] < 0) {
		if (fds[0] >= 0)
			fd_close(fds[0]);
		else
			file_put(ends[0]);
		file_put(ends[1]);
		return -EMFILE;
	}
	/* Linux copies the pair out before installing it; with one table the
	 * closing undo looks the same to the program. */
	if (copy_to_user(ufds, fds, sizeof(fds))) {
		fd_close(fds[0]);
		fd_close(fds[1]);
		return -EFAULT;
	}
	return 0;
}

long sys_pipe(uint64_t ufds)
{
	return sys_pipe2(ufds, 0);
}

/* ------------------------------------------------------------ sessions */

bool proc_is_self(int pid)
{
	return pid == 0 || pid == sys_getpid() || pid == sched_current()->tid;
}

/* The live process `pid` names (0: the caller), or NULL. */
static struct process *live(int pid)
{
	struct process *p = pid ? process_find(pid) : process_current();

	return p && p->state == PROCESS_LIVE ? p : NULL;
}

long sys_getpgid(int pid)
{
	struct process *p = pid ? process_find(pid) : process_current();

	return p ? p->pgid : -ESRCH;
}

long sys_getpgrp(void)
{
	return process_current()->pgid;
}

long sys_getsid(int pid)
{
	struct process *p = pid ? process_find(pid) : process_current();

	return p ? p->sid : -ESRCH;
}

/* Whether a process of session `sid` has `pgid` as its group. */
static bool group_in_session(int pgid, int sid)
{
	for (struct process *q = process_next(NULL); q; q = process_next(q))
		if (q->pgid == pgid && q->sid == sid)
			return true;
	return false;
}

/* Linux's ksys_setsid: a group leader may not start a session (EPERM),
 * nor may anyone while a group with its pid exists. */
long sys_setsid(void)
{
	struct process *p = process_current();

	for (struct process *q = process_next(NULL); q; q = process_next(q))
		if (q->pgid == p->pid)
			return -EPERM;
	/* The new session has no terminal: none is owned by its id. */
	p->sid = p->pgid = p->pid;
	return p->sid;
}

/*
 * Linux's setpgid: the caller or one of its children (not after the child's
 * exec: EACCES; not in another session: EPERM); a session leader may not
 * move (EPERM); the group must exist in the caller's session unless it is
 * the process's own pid (EPERM).
 */
long sys_setpgid(int pid, int pgid)
{
	struct process *self = process_current(), *p;

	if (pgid < 0)
		return -EINVAL;
	p = pid ? process_find(pid) : self;
	if (!p || (p != self && p->parent != self))
		return -ESRCH;
	if (p != self) {
		if (p->sid != self->sid)
			return -EPERM;
		if (p->did_exec)
			return -EACCES;
	}
	if (!pgid)
		pgid = p->pid;
	if (p->sid == p->pid)
		return -EPERM;
	if (pgid != p->pid && !group_in_session(pgid, self->sid))
		return -EPERM;
	p->pgid = pgid;
	return 0;
}

/* ------------------------------------------------ scheduling and nice */

/* Policies and limits (include/uapi/linux/sched.h, kernel/sched). */
#define SCHED_OTHER	    0
#define SCHED_FIFO	    1
#define SCHED_RR	    2
#define SCHED_BATCH	    3
#define SCHED_IDLE	    5
#define SCHED_DEADLINE	    6
#define SCHED_RESET_ON_FORK 0x40000000
#define MAX_RT_PRIO	    100
#define SETPARAM_POLICY	    (-1) /* sched_setparam: keep the policy */
#define PRIO_PROCESS	    0
#define PRIO_PGRP	    1
#define PRIO_USER	    2
#define NICE_MIN	    (-20)
#define NICE_MAX	    19
#define NICE_TO_PRIO(nice)  (20 - (nice)) /* getpriority's raw return */
#define CPU_MASK_BYTES	    8		  /* cpumask_size() with up to 64 CPUs */

/* Remembered only, per process: one CPU runs the threads round robin
 * whatever is set. */

static bool rt_policy(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

static bool valid_policy(int policy)
{
	return policy == SCHED_OTHER || rt_policy(policy) || policy == SCHED_BATCH ||
	       policy == SCHED_IDLE || policy == SCHED_DEADLINE;
}

/* Linux's do_sched_setscheduler and __sched_setscheduler checks; root
 * (CAP_SYS_NICE) may choose any policy, SCHED_DEADLINE only through sched_setattr. */
static long set_scheduler(int pid, int policy, uint64_t uparam)
{
	struct process *p;
	int prio;
	bool reset;

	if (!uparam || pid < 0)
		return -EINVAL;
	if (copy_from_user(&prio, uparam, sizeof(prio)))
		return -EFAULT;
	if (!(p = live(pid)))
		return -ESRCH;
	reset = p->sched_reset_on_fork;
	if (policy == SETPARAM_POLICY) {
		policy = p->sched_policy;
	} else {
		reset = policy & SCHED_RESET_ON_FORK;
		policy &= ~SCHED_RESET_ON_FORK;
		if (!valid_policy(policy))
			return -EINVAL;
	}
	if (prio < 0 || prio > MAX_RT_PRIO - 1 || policy == SCHED_DEADLINE ||
	    rt_policy(policy) != (prio != 0))
		return -EINVAL;
	/* Without CAP_SYS_NICE, real-time priority within RLIMIT_RTPRIO. */
	if (rt_policy(policy) && !cred_capable(CAP_SYS_NICE) &&
	    (uint64_t)prio > misc_rlimit_cur(RLIMIT_RTPRIO))
		return -EPERM;
	p->sched_policy = policy;
	p->sched_rt_priority = prio;
	p->sched_reset_on_fork = reset;
	return 0;
}

long sys_sched_setscheduler(int pid, int policy, uint64_t param)
{
	if (policy < 0)
		return -EINVAL;
	return set_scheduler(pid, policy, param);
}

long sys_sched_setparam(int pid, uint64_t param)
{
	return set_scheduler(pid, SETPARAM_POLICY, param);
}

long sys_sched_getscheduler(int pid)
{
	struct process *p;

	if (pid < 0)
		return -EINVAL;
	if (!(p = live(pid)))
		return -ESRCH;
	return p->sched_policy | (p->sched_reset_on_fork ? SCHED_RESET_ON_FORK : 0);
}

long sys_sched_getparam(int pid, uint64_t param)
{
	struct process *p;

	if (!param || pid < 0)
		return -EINVAL;
	if (!(p = live(pid)))
		return -ESRCH;
	return copy_to_user(param, &p->sched_rt_priority, sizeof(p->sched_rt_priority));
}

long sys_sched_get_priority_max(int policy)
{
	if (!valid_policy(policy))
		return -EINVAL;
	return rt_policy(policy) ? MAX_RT_PRIO - 1 : 0;
}

long sys_sched_get_priority_min(int policy)
{
	if (!valid_policy(policy))
		return -EINVAL;
	return rt_policy(policy) ? 1 : 0;
}

/* Linux reads at most cpumask_size() bytes (a shorter mask is padded with
 * zeros) and refuses a mask without any CPU the system has: here CPU 0. */
long sys_sched_setaffinity(int pid, unsigned len, uint64_t umask)
{
	uint8_t mask[CPU_MASK_BYTES] = { 0 };

	if (copy_from_user(mask, umask, MIN(len, sizeof(mask))))
		return -EFAULT;
	if (pid < 0 || !live(pid))
		return -ESRCH;
	return (mask[0] & 1) ? 0 : -EINVAL;
}

long sys_sched_getaffinity(long pid, size_t len, uint64_t mask)
{
	uint64_t one = 1; /* CPU 0 */

	if (pid < 0 || pid > INT32_MAX || !live(pid))
		return -ESRCH;
	if (len < sizeof(one) || (len & (sizeof(long) - 1)))
		return -EINVAL;
	if (clear_user(mask, len) || copy_to_user(mask, &one, sizeof(one)))
		return -EFAULT;
	return sizeof(one);
}

long sys_sched_yield(void)
{
	sched_yield();
	return 0;
}

/* Whether process `p` is one that (which, who) names; who 0 is the
 * caller's own process, group or user. */
static bool prio_match(struct process *p, int which, int who)
{
	switch (which) {
	case PRIO_PROCESS:
		return p->pid == (who ? who : sys_getpid());
	case PRIO_PGRP:
		return p->pgid == (who ? who : sys_getpgrp());
	default: /* PRIO_USER */
		return process_main_thread(p)->cred->uid ==
		       (who ? (uint32_t)who : cred_current()->uid);
	}
}

long sys_getpriority(int which, int who)
{
	int best = NICE_MAX + 1;

	if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER)
		return -EINVAL;
	for (struct process *p = process_next(NULL); p; p = process_next(p))
		if (p->state == PROCESS_LIVE && prio_match(p, which, who))
			best = MIN(best, p->nice);
	return best > NICE_MAX ? -ESRCH : NICE_TO_PRIO(best);
}

/* Out-of-range values clamp; Linux's set_one_prio: another user's process
 * needs CAP_SYS_NICE (EPERM), a lower nice too (EACCES: RLIMIT_NICE is 0
 * by default, and monos does not raise it). */
long sys_setpriority(int which, int who, int nice)
{
	long r = -ESRCH;

	if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER)
		return -EINVAL;
	nice = nice < NICE_MIN ? NICE_MIN : nice > NICE_MAX ? NICE_MAX : nice;
	for (struct process *p = process_next(NULL); p; p = process_next(p)) {
		const struct cred *c;

		if (p->state != PROCESS_LIVE || !prio_match(p, which, who))
			continue;
		c = process_main_thread(p)->cred;
		if (c->uid != cred_current()->euid && c->euid != cred_current()->euid &&
		    !cred_capable(CAP_SYS_NICE)) {
			r = -EPERM;
			continue;
		}
		if (nice < p->nice && !cred_capable(CAP_SYS_NICE)) {
			r = -EACCES;
			continue;
		}
		p->nice = nice;
		r = r == -ESRCH ? 0 : r;
	}
	return r;
}

/* ------------------------------------------------------ resource usage */

#define RUSAGE_SELF	(0)
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD	(1)
#define NSEC_PER_USEC	1000ull

long rusage_put(uint64_t uru, uint64_t cpu_ns, uint64_t peak_pages)
{
	struct rusage_k r = { 0 };

	r.utime.sec = cpu_ns / NSEC_PER_SEC;
	r.utime.usec = cpu_ns % NSEC_PER_SEC / NSEC_PER_USEC;
	r.maxrss = peak_pages * (PAGE_SIZE / 1024);
	return copy_to_user(uru, &r, sizeof(r)) ? -EFAULT : 0;
}

/*
 * The CPU time: the process's, the calling thread's (RUSAGE_THREAD) or
 * that of the children waited for and theirs (RUSAGE_CHILDREN), all of it
 * counted as user time (the kernel's work for a program is not told
 * apart), and the largest resident size seen, in KiB.
 */
long sys_getrusage(int who, uint64_t ru)
{
	struct process *p = process_current();
	uint64_t busy;

	if (who != RUSAGE_SELF && who != RUSAGE_THREAD && who != RUSAGE_CHILDREN)
		return -EINVAL;
	if (who == RUSAGE_CHILDREN)
		return rusage_put(ru, p->children_cpu_ns, 0);
	busy = who == RUSAGE_THREAD ? sched_thread_cpu_ns(sched_current()) : process_cpu_ns(p);
	p->peak_pages = MAX(p->peak_pages, vm_resident_pages());
	return rusage_put(ru, busy, p->peak_pages);
}

/* times(2): CPU times in clock ticks, and the ticks since boot (programs
 * only take differences of it). */
long sys_times(uint64_t ubuf)
{
	const uint64_t tick = NSEC_PER_SEC / USER_HZ;
	struct process *p = process_current();
	int64_t tms[4] = { (int64_t)(process_cpu_ns(p) / tick), 0,
			   (int64_t)(p->children_cpu_ns / tick), 0 };

	if (ubuf && copy_to_user(ubuf, tms, sizeof(tms)))
		return -EFAULT;
	return time_monotonic_ns() / tick;
}

/* ---------------------------------------------------------------- prctl */

/* include/uapi/linux/prctl.h */
#define PR_SET_PDEATHSIG       1
#define PR_GET_PDEATHSIG       2
#define PR_GET_DUMPABLE	       3
#define PR_SET_DUMPABLE	       4
#define PR_GET_TIMING	       13
#define PR_SET_NAME	       15
#define PR_GET_NAME	       16
#define PR_GET_SECCOMP	       21
#define PR_SET_SECCOMP	       22
#define PR_SET_TIMERSLACK      29
#define PR_GET_TIMERSLACK      30
#define PR_SET_CHILD_SUBREAPER 36
#define PR_GET_CHILD_SUBREAPER 37
#define PR_SET_NO_NEW_PRIVS    38
#define PR_GET_NO_NEW_PRIVS    39
#define PR_GET_TID_ADDRESS     40
#define PR_SET_THP_DISABLE     41
#define PR_GET_THP_DISABLE     42
#define PRCTL_NOT_MINE	       (-ENOSYS) /* internal: try the next group */

/* What prctl reads back is the process's (process.h; Linux keeps the
 * name and timer slack per thread, one copy serves all threads here).  The
 * name starts as Linux's does: the program file's name, cut to 15 (exec
 * sets it; the first program's comes from the per-run data). */
static const char *comm_get(void)
{
	char *comm = process_current()->comm;
	const uint8_t *exe;
	size_t len, start = 0;

	if (comm[0] || vfs_runfile("exe", &exe, &len))
		return comm;
	for (size_t i = 0; i < len && exe[i]; i++)
		if (exe[i] == '/')
			start = i + 1;
	for (size_t i = 0; start + i < len && exe[start + i] && i < TASK_COMM_LEN - 1; i++)
		comm[i] = exe[start + i];
	return comm;
}

static long prctl_name(int option, uint64_t uname)
{
	char name[TASK_COMM_LEN];
	long r;

	if (option == PR_GET_NAME) {
		memcpy(name, comm_get(), sizeof(name));
		return copy_to_user(uname, name, sizeof(name));
	}
	r = strncpy_from_user(name, uname, sizeof(name)); /* longer: cut */
	if (r < 0 && r != -ENAMETOOLONG)
		return r;
	memcpy(process_current()->comm, name, sizeof(name));
	return 0;
}

static long put_int(uint64_t uaddr, int v)
{
	return copy_to_user(uaddr, &v, sizeof(v));
}

/* The flags a program sets on itself at start. */
static long prctl_flags(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	struct process *p = process_current();

	switch (option) {
	case PR_SET_PDEATHSIG:
		if (a2 > NSIG)
			return -EINVAL;
		p->pdeath_signal = a2;
		return 0;
	case PR_GET_PDEATHSIG:
		return put_int(a2, p->pdeath_signal);
	case PR_GET_DUMPABLE:
		return !p->not_dumpable;
	case PR_SET_DUMPABLE:
		if (a2 > 1)
			return -EINVAL;
		p->not_dumpable = !a2;
		return 0;
	case PR_SET_NO_NEW_PRIVS:
		if (a2 != 1 || a3 || a4 || a5)
			return -EINVAL;
		p->no_new_privs = true; /* and it cannot be cleared */
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		return a2 || a3 || a4 || a5 ? -EINVAL : p->no_new_privs;
	case PR_SET_THP_DISABLE:
		if (a3 || a4 || a5)
			return -EINVAL;
		p->thp_disabled = a2;
		return 0;
	case PR_GET_THP_DISABLE:
		return a2 || a3 || a4 || a5 ? -EINVAL : p->thp_disabled;
	case PR_SET_CHILD_SUBREAPER:
		p->child_subreaper = !!a2;
		return 0;
	case PR_GET_CHILD_SUBREAPER:
		return put_int(a2, p->child_subreaper);
	default:
		return PRCTL_NOT_MINE;
	}
}

/*
 * prctl: the options programs use at start (python, nginx, redis, the Go
 * runtime, libcap).  PR_SET_SECCOMP is refused with EINVAL, as by a kernel
 * built without seccomp: accepting a filter that is not enforced would be a
 * lie about security.  Unknown options give EINVAL.
 */
long sys_prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	long r = cred_prctl(option, a2, a3, a4, a5);

	if (r == PRCTL_NOT_MINE)
		r = prctl_flags(option, a2, a3, a4, a5);
	if (r != PRCTL_NOT_MINE)
		return r;
	switch (option) {
	case PR_SET_NAME:
	case PR_GET_NAME:
		return prctl_name(option, a2);
	case PR_GET_SECCOMP:
	case PR_GET_TIMING: /* PR_TIMING_STATISTICAL */
		return 0;
	case PR_SET_TIMERSLACK:
		process_current()->timer_slack_ns = a2 ? a2 : PROCESS_TIMER_SLACK_NS;
		return 0;
	case PR_GET_TIMERSLACK:
		return process_current()->timer_slack_ns;
	case PR_GET_TID_ADDRESS:
		return copy_to_user(a2, &sched_current()->clear_child_tid, sizeof(uint64_t));
	default:
		return -EINVAL;
	}
}
