/*
 * Waiting for children: wait4 and waitid (waitpid and wait are libc's, on
 * wait4).  A child that ended is a zombie (linux/process.c) until a wait
 * reports it and frees it; WNOWAIT leaves it.  A live child's stop or
 * continue (linux/jobctl.c) is reported once to WUNTRACED or WCONTINUED.  Statuses are encoded as
 * Linux's (code << 8, or the signal).  Semantics: Linux's kernel/exit.c
 * (do_wait, eligible_child, wait_task_zombie), man 2 wait.
 */
#include "linux/syscall.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "linux/process.h"
#include "linux/signal.h"

#define WNOHANG	    0x00000001
#define WUNTRACED   0x00000002 /* wait4's name for WSTOPPED */
#define WEXITED	    0x00000004
#define WCONTINUED  0x00000008
#define WNOWAIT	    0x01000000
#define __WNOTHREAD 0x20000000
#define __WALL	    0x40000000
#define __WCLONE    0x80000000u
#define WAIT4_OPTS  (WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)
#define WAITID_OPTS                                                                                \
	(WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | __WNOTHREAD | __WCLONE | __WALL)
#define P_ALL	       0
#define P_PID	       1
#define P_PGID	       2
#define P_PIDFD	       3
#define SIGCHLD_NR     17
#define WCOREFLAG      0x80
#define WAIT_CONTINUED 0xffff /* a continue's wait status (linux/jobctl.c) */

/* Which children a wait is for (Linux's struct wait_opts). */
struct wait_req {
	int type; /* P_ALL, P_PID, P_PGID */
	int id;
	unsigned options;
};

/* Linux's eligible_child: the id, and the kind of child (__WALL: any;
 * __WCLONE: those that do not signal SIGCHLD at their end; by default
 * those that do). */
static bool eligible(const struct process *c, const struct wait_req *w)
{
	if ((w->type == P_PID && c->pid != w->id) || (w->type == P_PGID && c->pgid != w->id))
		return false;
	if (w->options & __WALL)
		return true;
	return (c->exit_signal != SIGCHLD_NR) == !!(w->options & __WCLONE);
}

/* A live child's stop (WUNTRACED) or continue (WCONTINUED) the wait
 * asked for (linux/jobctl.c records them). */
static bool stop_wanted(const struct process *c, const struct wait_req *w)
{
	if (c->state != PROCESS_LIVE || !c->stop_report)
		return false;
	return w->options & (c->stop_report == WAIT_CONTINUED ? WCONTINUED : WUNTRACED);
}

/* A child the wait may report (a zombie, or a stop or continue), or NULL;
 * *any: an eligible child exists at all. */
static struct process *find_zombie(const struct wait_req *w, bool *any)
{
	struct process *c;

	*any = false;
	list_for_each_entry(c, &process_current()->children, sibling) {
		if (!eligible(c, w))
			continue;
		*any = true;
		if ((c->state == PROCESS_ZOMBIE && (w->options & WEXITED)) || stop_wanted(c, w))
			return c;
	}
	return NULL;
}

/* sched_wait's condition: a zombie to report, or nothing left to wait for. */
static bool wait_ready(void *arg)
{
	bool any;

	return find_zombie(arg, &any) || !any;
}

/* Find a child to report, waiting unless WNOHANG: the child, NULL (none
 * yet, WNOHANG), or an ERR_PTR (-ECHILD, -ERESTARTSYS). */
static struct process *do_wait(const struct wait_req *w)
{
	for (;;) {
		bool any;
		struct process *c = find_zombie(w, &any);
		long r;

		if (c)
			return c;
		if (!any)
			return ERR_PTR(-ECHILD);
		if (w->options & WNOHANG)
			return NULL;
		r = sched_wait(wait_ready, (void *)w, 0);
		if (r)
			return ERR_PTR(r);
	}
}

/* The resources child `c` used, with those of its own children waited
 * for. */
static long put_rusage(uint64_t uru, const struct process *c)
{
	return uru ? rusage_put(uru, c->dead_cpu_ns + c->children_cpu_ns, c->peak_pages) : 0;
}

long sys_wait4(int pid, uint64_t ustatus, int options, uint64_t uru)
{
	struct wait_req w = { .options = (unsigned)options | WEXITED };
	struct process *c;
	int status, cpid;

	if ((unsigned long)options & ~(unsigned long)WAIT4_OPTS)
		return -EINVAL;
	/* INT_MIN has no group to name (Linux: ESRCH). */
	if (pid == INT32_MIN)
		return -ESRCH;
	if (pid < -1)
		w.type = P_PGID, w.id = (int)-pid;
	else if (pid == 0)
		w.type = P_PGID, w.id = process_current()->pgid;
	else if (pid > 0)
		w.type = P_PID, w.id = (int)pid;
	c = do_wait(&w);
	if (IS_ERR_OR_NULL(c))
		return c ? PTR_ERR(c) : 0;
	status = c->state == PROCESS_LIVE ? c->stop_report : c->status;
	cpid = c->pid;
	if ((ustatus && copy_to_user(ustatus, &status, sizeof(status))) || put_rusage(uru, c))
		return -EFAULT; /* the child stays a zombie, as on Linux */
	if (c->state == PROCESS_LIVE)
		c->stop_report = 0; /* reported once */
	else
		process_reap(c);
	return cpid;
}

/* The siginfo waitid fills for child `c` (NULL: none, all zero). */
static long put_waitinfo(uint64_t uinfo, const struct process *c)
{
	struct ksiginfo info = { 0 };

	if (!uinfo)
		return 0;
	if (c) {
		info.signo = SIGCHLD_NR;
		info.pid = c->pid;
		info.uid = c->uid;
		if (c->state == PROCESS_LIVE) { /* a stop or a continue */
			bool cont = c->stop_report == WAIT_CONTINUED;
			info.code = cont ? CLD_CONTINUED : CLD_STOPPED;
			info.status = cont ? SIGCONT : (c->stop_report >> 8) & 0xff;
		} else if (c->status & 0x7f) {
			info.code = (c->status & WCOREFLAG) ? CLD_DUMPED : CLD_KILLED;
			info.status = c->status & 0x7f;
		} else {
			info.code = CLD_EXITED;
			info.status = (c->status >> 8) & 0xff;
		}
	}
	if (!c) { /* Linux clears signo, errno, code, pid, uid and status */
		static const uint8_t zero[32];
		return copy_to_user(uinfo, zero, sizeof(zero)) ? -EFAULT : 0;
	}
	return signal_put_siginfo(uinfo, &info) ? -EFAULT : 0;
}

long sys_waitid(int idtype, int id, uint64_t uinfo, int options, uint64_t uru)
{
	struct wait_req w = { .type = (int)idtype, .id = (int)id, .options = (unsigned)options };
	struct process *c;

	if ((unsigned long)options & ~(unsigned long)WAITID_OPTS)
		return -EINVAL;
	if (!(options & (WEXITED | WUNTRACED | WCONTINUED)))
		return -EINVAL;
	switch (idtype) {
	case P_ALL:
		break;
	case P_PID:
		if (id <= 0)
			return -EINVAL;
		break;
	case P_PGID:
		if (id < 0)
			return -EINVAL;
		if (id == 0) /* Linux 5.4: the caller's group */
			w.id = process_current()->pgid;
		break;
	default: /* P_PIDFD needs pidfd_open: not offered */
		return -EINVAL;
	}
	c = do_wait(&w);
	if (IS_ERR(c))
		return PTR_ERR(c);
	if (put_waitinfo(uinfo, c) || (c && put_rusage(uru, c)))
		return -EFAULT;
	if (c && !(options & WNOWAIT)) {
		if (c->state == PROCESS_LIVE)
			c->stop_report = 0;
		else
			process_reap(c);
	}
	return 0;
}
