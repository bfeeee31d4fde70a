/*
 * Processes: the tree of them, how each ends (exit, a fatal signal, out of
 * memory), zombies and the reaper, and how CPU exceptions in a program
 * become signals.  PID 1's end is the instance's, reported to the host as
 * the exit frame of the channel (design.md contract 18).
 */
#include "linux/syscall.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "core/console.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "core/vm.h"
#include "fs/mount.h"
#include "fs/procfs.h"
#include "fs/tty.h"
#include "fs/vfs.h"
#include "linux/monos_dev.h"
#include "linux/futex.h"
#include "linux/ipc.h"
#include "linux/process.h"
#include "linux/signal.h"
#include "net/lwip/net.h"

/* Exception vectors (Intel SDM vol. 3A, 6.3.1). */
#define VEC_DE 0
#define VEC_DB 1
#define VEC_BP 3
#define VEC_OF 4
#define VEC_BR 5
#define VEC_UD 6
#define VEC_NM 7
#define VEC_GP 13
#define VEC_PF 14
#define VEC_MF 16
#define VEC_AC 17
#define VEC_XM 19
#define VEC_SS 12
#define VEC_NP 11

/* What the program sent on TCP before it ended still reaches its peers, as
 * Linux keeps sending after a process dies: wait (bounded) for the acks. */
#define NET_FLUSH_NS (2 * NSEC_PER_SEC)
#define WCOREFLAG    0x80 /* a wait status's core-dump bit */

/* Every process, live or zombie, in creation order; PID 1 first.  The
 * system-call rule guards the list and the tree (process.h). */
static struct list_head all_processes = LIST_HEAD_INIT(all_processes);
static struct process *init_proc;
static unsigned nlive;
extern const struct rlimit_k rlimit_defaults[RLIMIT_NLIMITS]; /* sys_misc.c */

struct process *process_init_proc(void)
{
	return init_proc;
}

struct process *process_find(int pid)
{
	struct process *p;

	list_for_each_entry(p, &all_processes, all)
		if (p->pid == pid)
			return p;
	return NULL;
}

struct process *process_next(struct process *p)
{
	struct list_head *n = p ? p->all.next : all_processes.next;

	return n == &all_processes ? NULL : list_entry(n, struct process, all);
}

unsigned process_count(void)
{
	return nlive;
}

uint64_t process_cpu_ns(struct process *p)
{
	uint64_t ns = p->dead_cpu_ns;
	struct thread *t;

	list_for_each_entry(t, &p->threads, group)
		ns += sched_thread_cpu_ns(t);
	return ns;
}

struct thread *process_main_thread(struct process *p)
{
	return list_empty(&p->threads) ? NULL : list_first_entry(&p->threads, struct thread, group);
}

static bool alone(void *arg)
{
	return ((struct process *)arg)->nthreads == 1;
}

void process_exec_threads(void)
{
	struct thread *t = sched_current();
	struct process *p = t->proc;

	if (p->nthreads > 1) {
		p->exec_thread = t;
		sched_wake_all(); /* the others leave as they wake */
		while (p->nthreads > 1)
			sched_wait(alone, p, 0);
		p->exec_thread = NULL;
	}
	t->tid = p->pid; /* Linux's de_thread: the one left takes the pid */
}

void process_add_thread(struct process *p, struct thread *t)
{
	t->proc = p;
	list_add_tail(&t->group, &p->threads);
	p->nthreads++;
}

/* A new process, without a thread or pid yet. */
static struct process *process_alloc(void)
{
	struct process *p = kzalloc(sizeof(*p));

	if (!p)
		return NULL;
	p->exit_signal = SIGCHLD;
	p->start_ns = time_monotonic_ns();
	list_init(&p->children);
	list_init(&p->sibling);
	list_init(&p->threads);
	list_init(&p->all);
	list_init(&p->pending.queue);
	waitq_init(&p->children_wq);
	return p;
}

void process_boot(struct thread *t)
{
	struct process *p = process_alloc();

	if (!p)
		boot_out_of_memory("the first process");
	memcpy(p->rlimits, rlimit_defaults, sizeof(p->rlimits));
	p->timer_slack_ns = PROCESS_TIMER_SLACK_NS;
	init_proc = p;
	process_start(p, t);
	p->pgid = p->sid = p->pid;
}

void process_boot_name(struct inode *prog)
{
	struct process *p = init_proc;
	char *path = kmalloc(PATH_MAX);
	const char *base;

	if (!path || vfs_path(prog, path, PATH_MAX) < 0) {
		kfree(path);
		return;
	}
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	strncpy(p->comm, base, sizeof(p->comm) - 1);
	kfree(p->exe);
	p->exe = kstrdup(path);
	kfree(path);
}

struct process *process_create(struct process *parent)
{
	struct process *p = process_alloc();

	if (!p)
		return NULL;
	if (parent->exe && !(p->exe = kstrdup(parent->exe))) {
		kfree(p);
		return NULL;
	}
	p->parent = parent;
	p->pgid = parent->pgid;
	p->sid = parent->sid;
	memcpy(p->rlimits, parent->rlimits, sizeof(p->rlimits));
	memcpy(p->comm, parent->comm, sizeof(p->comm));
	p->no_new_privs = parent->no_new_privs;
	p->not_dumpable = parent->not_dumpable;
	p->thp_disabled = parent->thp_disabled;
	p->timer_slack_ns = parent->timer_slack_ns;
	p->nice = parent->nice;
	if (!parent->sched_reset_on_fork) {
		p->sched_policy = parent->sched_policy;
		p->sched_rt_priority = parent->sched_rt_priority;
	} else if (p->nice < 0) {
		p->nice = 0; /* SCHED_RESET_ON_FORK: a normal policy, nice 0 at most */
	}
	return p;
}

void process_start(struct process *p, struct thread *t)
{
	p->pid = t->tid;
	process_add_thread(p, t);
	list_add_tail(&p->all, &all_processes);
	if (p->parent)
		list_add_tail(&p->sibling, &p->parent->children);
	nlive++;
}

void process_abort(struct process *p)
{
	kfree(p->exe);
	kfree(p);
}

/* Unlink `p` from every list and free it. */
static void process_free(struct process *p)
{
	list_del(&p->all);
	list_del(&p->sibling);
	kfree(p->exe);
	kfree(p);
}

void process_reap(struct process *p)
{
	if (p->parent)
		p->parent->children_cpu_ns += p->dead_cpu_ns + p->children_cpu_ns;
	process_free(p);
}

void process_vfork_release(struct process *p)
{
	struct vfork_wait *w = p->vfork;

	if (w) {
		p->vfork = NULL;
		w->done = true;
		waitq_wake(&w->wq);
	}
}

static void (*end_hook)(const struct monos_chan_exit *e);
static void (*orphan_end_hook)(struct process *p);

void process_set_orphan_end_hook(void (*fn)(struct process *p))
{
	orphan_end_hook = fn;
}

void process_exit_report(const struct process *p, struct monos_chan_exit *e)
{
	*e = (struct monos_chan_exit){ .kind = MONOS_EXIT_STATUS };
	if (p->status & 0x7f) {
		e->kind = MONOS_EXIT_SIGNAL;
		e->signo = p->status & 0x7f;
		e->addr = p->fault_addr;
		e->ip = p->fault_ip;
	} else {
		e->status = (uint8_t)(p->status >> 8);
	}
}

void process_set_end_hook(void (*fn)(const struct monos_chan_exit *e))
{
	end_hook = fn;
}

/* The instance ends with PID 1 (design.md contract 18): what the program
 * sent still leaves, then the host hears how it ended. */
static __attribute__((noreturn)) void instance_end(struct process *p)
{
	struct monos_chan_exit e;

	process_exit_report(p, &e);
	monos_dev_instance_end(); /* the agent's last words (its etcd key) */
	if (end_hook)
		end_hook(&e);
	/* Contract 18: the volumes are clean before the host hears the end. */
	vfs_sync_all();
	net_flush(NET_FLUSH_NS);
	console_exit(&e);
}

/* The process children of `p` go to when it ends: its nearest ancestor
 * that asked to be a subreaper (PR_SET_CHILD_SUBREAPER), else PID 1. */
static struct process *reaper_for(struct process *p)
{
	for (struct process *a = p->parent; a; a = a->parent)
		if (a->child_subreaper && a->state == PROCESS_LIVE)
			return a;
	return init_proc;
}

/* Tell `parent` that child `c` ended: SIGCHLD (its exit_signal) with how,
 * and a wake-up for wait; or, if the parent does not collect children,
 * reap it at once.  Returns false when `c` was reaped (and freed). */
static bool notify_parent(struct process *c)
{
	struct process *parent = c->parent;
	struct ksiginfo info = { .signo = c->exit_signal, .pid = c->pid, .uid = c->uid };
	bool autoreap = signal_child_autoreap(parent);

	if (c->status & 0x7f) {
		info.code = (c->status & WCOREFLAG) ? CLD_DUMPED : CLD_KILLED;
		info.status = c->status & 0x7f;
	} else {
		info.code = CLD_EXITED;
		info.status = c->status >> 8;
	}
	/* Linux's do_notify_parent: a child whose parent ignores SIGCHLD (or
	 * set SA_NOCLDWAIT) is reaped at once; the signal still goes, unless
	 * it is SIGCHLD itself and ignored. */
	if (c->exit_signal)
		signal_send_process(parent, &info);
	waitq_wake(&parent->children_wq);
	if (autoreap) {
		process_reap(c);
		return false;
	}
	return true;
}

/* Tell `c`'s parent it stopped or continued (`code` CLD_STOPPED or
 * CLD_CONTINUED, `sig` the signal): SIGCHLD unless the parent set
 * SA_NOCLDSTOP, and its waits see it. */
static void notify_stop(struct process *c, int code, int sig)
{
	struct process *parent = c->parent;
	struct ksiginfo info = {
		.signo = SIGCHLD,
		.code = code,
		.pid = c->pid,
		.status = sig,
		.uid = process_main_thread(c)->cred->uid,
	};

	c->stop_report = code == CLD_STOPPED ? (sig << 8) | 0x7f : 0xffff;
	if (!parent)
		return;
	if (!(signal_action_of(parent, SIGCHLD)->flags & SA_NOCLDSTOP))
		signal_send_process(parent, &info);
	waitq_wake(&parent->children_wq);
}

/* Linux's will_become_orphaned_pgrp: no member has a parent in another
 * group of the same session, so no shell is left to continue it. */
static bool pgrp_orphaned(int pgid)
{
	struct process *q;

	list_for_each_entry(q, &all_processes, all)
		if (q->pgid == pgid && q->state == PROCESS_LIVE && q->parent &&
		    q->parent->pgid != pgid && q->parent->sid == q->sid)
			return false;
	return true;
}

static bool stop_over(void *arg)
{
	struct process *p = arg;

	return !p->stopped || p->exiting || (signal_pending_set() & SIGBIT(SIGKILL));
}

void process_stopped_wait(void)
{
	struct process *p = process_current();

	while (!stop_over(p))
		sched_wait_uninterruptible(stop_over, p);
}

void process_stop(int sig)
{
	struct process *p = process_current();

	/* PID 1 is the instance's init: as a container's, it does not stop
	 * (nothing inside could continue it).  Linux discards SIGTSTP, SIGTTIN
	 * and SIGTTOU in an orphaned group. */
	if (p == init_proc || (sig != SIGSTOP && pgrp_orphaned(p->pgid)))
		return;
	if (!p->stopped) {
		p->stopped = true;
		notify_stop(p, CLD_STOPPED, sig);
	}
	process_stopped_wait();
}

void process_continue(struct process *p)
{
	if (!p->stopped)
		return;
	p->stopped = false;
	notify_stop(p, CLD_CONTINUED, SIGCONT);
	sched_wake_all(); /* its threads wait in process_stopped_wait */
}

/* The children of ending process `p` go to the reaper; those with a death
 * signal get it, zombies among them are reported to the new parent. */
static void reparent_children(struct process *p)
{
	struct process *reaper = reaper_for(p), *c, *tmp;

	list_for_each_entry_safe(c, tmp, &p->children, sibling) {
		list_del(&c->sibling);
		c->parent = reaper;
		list_add_tail(&c->sibling, &reaper->children);
		if (c->pdeath_signal && c->state == PROCESS_LIVE) {
			struct ksiginfo info = { .signo = c->pdeath_signal, .code = SI_USER };
			signal_send_process(c, &info);
		}
		if (c->state == PROCESS_ZOMBIE)
			notify_parent(c);
	}
}

/*
 * The last thread of `p` is leaving: release what the process holds, hand
 * its children on, become a zombie and tell the parent.  Runs on that
 * thread, which switches to the kernel's address space before its own
 * goes.  PID 1 ends the instance instead.
 */
static void process_teardown(struct process *p)
{
	struct thread *t = sched_current();
	struct mm *mm = t->mm;

	sem_exit(); /* SEM_UNDO belongs to the process: applied as it ends */
	timer_process_exit(p);
	if (p == init_proc)
		instance_end(p);
	fdt_put(t->files);
	vfs_fs_put(t->fs);
	signal_sighand_put(t->sighand);
	t->files = NULL;
	t->fs = NULL;
	t->sighand = NULL;
	p->uid = t->cred->uid;
	cred_free(t->cred);
	t->cred = cred_first(); /* never read again, but never dangling */
	process_vfork_release(p);
	t->mm = mm_kernel();
	mm_switch(t->mm);
	mm_put(mm);
	reparent_children(p);
	p->state = PROCESS_ZOMBIE;
	nlive--;
	if (p->parent)
		notify_parent(p);
	else if (orphan_end_hook)
		orphan_end_hook(p);
}

void process_exit_thread(int status)
{
	struct thread *t = sched_current();
	struct process *p = t->proc;
	uint32_t zero = 0;

	futex_exit_thread(t);
	signal_thread_exit(t);
	if (t->clear_child_tid && !copy_to_user(t->clear_child_tid, &zero, sizeof(zero)))
		futex_wake_one(t->clear_child_tid);
	p->dead_cpu_ns += sched_thread_cpu_ns(t);
	list_del(&t->group);
	if (--p->nthreads == 0) {
		if (!p->exiting) {
			p->exiting = true;
			p->status = status;
		}
		process_teardown(p);
	}
	sched_exit_thread();
}

void process_exit_group(int status)
{
	struct process *p = process_current();

	if (!p->exiting) {
		p->exiting = true;
		p->status = status;
		sched_wake_all(); /* its other threads leave as they wake */
	}
	process_exit_thread(status);
}

void process_kill(int signo, uint64_t addr, uint64_t ip)
{
	struct process *p = process_current();

	if (!p->exiting) {
		p->fault_addr = addr;
		p->fault_ip = ip;
	}
	process_exit_group(signo);
}

/* The live process holding the most resident pages, not counting those
 * already ending (their memory is on its way back: *ending says one is). */
static struct process *oom_victim(bool *ending)
{
	struct process *victim = NULL, *p;
	uint64_t most = 0;

	*ending = false;
	list_for_each_entry(p, &all_processes, all) {
		struct thread *t = process_main_thread(p);

		if (!t || p->state != PROCESS_LIVE)
			continue;
		if (p->exiting) {
			*ending = true;
			continue;
		}
		if (!victim || t->mm->resident > most) {
			victim = p;
			most = t->mm->resident;
		}
	}
	return victim;
}

/*
 * Out of memory in a program (a page fault, a signal frame): as Linux's OOM
 * killer, kill the process with the most resident pages with SIGKILL; its
 * parent sees that and the instance goes on, unless it is PID 1, whose end
 * is the instance's (reported as OOM).  Returns when the caller may retry
 * (another process was chosen, or one is ending and gives its memory back):
 * the caller yields the CPU to it first.
 */
void process_oom(void)
{
	struct monos_chan_exit e = { .kind = MONOS_EXIT_OOM };
	bool ending;
	struct process *victim = oom_victim(&ending);

	if (!victim && ending) {
		sched_yield();
		return;
	}
	if (!victim)
		victim = init_proc;
	klog("monos: out of memory: killed process %d (%s, %lu pages resident)\n", victim->pid,
	     victim->comm,
	     process_main_thread(victim) ? process_main_thread(victim)->mm->resident : 0);
	if (victim == init_proc)
		console_exit(&e);
	if (victim == process_current())
		process_exit_group(SIGKILL);
	victim->exiting = true;
	victim->status = SIGKILL;
	sched_wake_all(); /* its threads leave as they wake */
	sched_yield();
}

void process_exec_failed(int err)
{
	struct monos_chan_exit e = { .kind = MONOS_EXIT_EXEC, .status = (uint8_t)err };

	/* No memory to map the program is the instance's memory running out,
	 * not a program that cannot be executed: end as the OOM killer would. */
	if (err == ENOMEM)
		e.kind = MONOS_EXIT_OOM;
	console_exit(&e);
}

/* The signal Linux sends for exception `vec` in ring 3. */
static int fault_signal(unsigned vec)
{
	switch (vec) {
	case VEC_DE:
	case VEC_MF:
	case VEC_XM:
		return SIGFPE;
	case VEC_UD:
		return SIGILL;
	case VEC_DB:
	case VEC_BP:
		return SIGTRAP;
	case VEC_AC:
		return SIGBUS;
	default: /* #GP, #SS, #NP, #OF, #BR, #PF */
		return SIGSEGV;
	}
}

/* The si_code Linux gives a fault on `vec`. */
static int fault_code(unsigned vec, unsigned error)
{
	switch (vec) {
	case VEC_PF:
		return (error & 1) ? SEGV_ACCERR : SEGV_MAPERR;
	case VEC_DE:
		return FPE_INTDIV;
	case VEC_UD:
		return ILL_ILLOPN;
	case VEC_BP:
		return TRAP_BRKPT;
	case VEC_AC:
		return BUS_ADRALN;
	default:
		return SI_KERNEL;
	}
}

static bool on_fault(struct regs *r, uint64_t addr)
{
	int err = 0;

	if (r->nr == VEC_PF && addr < USER_TOP) {
		err = vm_fault(addr, r->error);
		if (!err)
			return true;
		if (err == -ENOMEM) {
			process_oom();
			return true; /* retry the access once memory came back */
		}
	}
	if (!regs_from_user(r))
		return false; /* the kernel's: an exception-table fixup or a panic */
	struct ksiginfo info = {
		.signo = fault_signal(r->nr),
		.code = fault_code(r->nr, r->error),
		/* Linux reports the faulting address for page faults, the
		 * instruction for the others. */
		.addr = r->nr == VEC_PF ? addr : r->rip,
	};
	signal_force_fault(&info); /* kills unless a handler takes it */
	return true;
}

/*
 * A signal from the host (Ctrl-C, docker stop, a hang-up): SIGINT goes to
 * the terminal's foreground process group when the program runs on a host
 * terminal (a shell expects it there), every other signal, and SIGINT
 * without a terminal, to PID 1 as a container's runtime sends it.
 */
static void on_host_signal(int signo)
{
	struct ksiginfo info = { .signo = signo, .code = SI_USER };
	int pgrp = signo == SIGINT ? tty_console_foreground() : 0;

	if (signo < 1 || signo > NSIG)
		return;
	if (pgrp)
		tty_signal_pgrp(pgrp, signo);
	else if (init_proc->state == PROCESS_LIVE)
		signal_send_process(init_proc, &info);
}

bool process_return_to_user(struct regs *r, bool syscall)
{
	if (!syscall)
		sched_preempt();
	return signal_deliver(r, syscall);
}

/* What a terminal needs of processes (fs/tty.h). */
static int tty_pgrp(void)
{
	return process_current()->pgid;
}

static int tty_session(void)
{
	return process_current()->sid;
}

static bool tty_leader(void)
{
	return process_current()->sid == process_current()->pid;
}

static bool tty_pgrp_exists(int pgrp)
{
	int sid = process_current()->sid;

	for (struct process *p = process_next(NULL); p; p = process_next(p))
		if (p->pgid == pgrp && p->sid == sid && p->state == PROCESS_LIVE)
			return true;
	return false;
}

/* A terminal's signal (ISIG, SIGWINCH, hang-up) to every live process of
 * a group. */
static void tty_kill_pgrp(int pgrp, int sig)
{
	struct ksiginfo info = { .signo = sig, .code = SI_KERNEL };

	for (struct process *p = process_next(NULL); p; p = process_next(p))
		if (p->pgid == pgrp && p->state == PROCESS_LIVE)
			signal_send_process(p, &info);
}

/* Linux's is_ignored for job control: blocked, or ignored by its action. */
static bool tty_sig_refused(int sig)
{
	struct thread *t = sched_current();

	return (t->sigmask & SIGBIT(sig)) ||
	       signal_action_of(process_of(t), sig)->handler == SIG_IGN;
}

static bool tty_pgrp_orphaned(void)
{
	return pgrp_orphaned(process_current()->pgid);
}

static const struct tty_session_ops tty_session_ops = {
	.pgrp = tty_pgrp,
	.session = tty_session,
	.leader = tty_leader,
	.pgrp_exists = tty_pgrp_exists,
	.kill_pgrp = tty_kill_pgrp,
	.sig_refused = tty_sig_refused,
	.pgrp_orphaned = tty_pgrp_orphaned,
};

/* A file's last reference is going: drop what the Linux layer keeps on it. */
static void file_gone(struct file *f)
{
	lock_release(f);
	epoll_file_gone(f);
}

/* /proc lists and finds every process, zombies included, as Linux does. */
static bool proc_exists(int pid)
{
	return process_find(pid) != NULL;
}

static int proc_next(int after)
{
	int best = 0;

	for (struct process *p = process_next(NULL); p; p = process_next(p))
		if (p->pid > after && (!best || p->pid < best))
			best = p->pid;
	return best;
}

/* R while any of its threads can run (the caller included), S when all
 * sleep, T while job control keeps it stopped, Z once ended: Linux's
 * task_state letters for a whole process. */
static char proc_state(struct process *p)
{
	struct thread *t;

	if (p->state == PROCESS_ZOMBIE)
		return 'Z';
	if (p->stopped)
		return 'T';
	list_for_each_entry(t, &p->threads, group)
		if (t->state == THREAD_RUNNABLE)
			return 'R';
	return 'S';
}

static int proc_get(int pid, struct procfs_proc *out)
{
	struct process *p = process_find(pid);

	if (!p)
		return -ESRCH;
	*out = (struct procfs_proc){
		.pid = p->pid,
		.tid = p->pid,
		.ppid = p->parent ? p->parent->pid : 0,
		.pgid = p->pgid,
		.sid = p->sid,
		.nthreads = p->state == PROCESS_ZOMBIE ? 1 : (int)p->nthreads,
		.state = proc_state(p),
		.exe = p->exe,
		.cpu_ns = process_cpu_ns(p),
		.start_ns = p->start_ns,
		.no_new_privs = p->no_new_privs,
		.thread = process_main_thread(p),
	};
	memcpy(out->comm, p->comm, sizeof(out->comm));
	if (out->thread)
		signal_action_sets(out->thread->sighand, &out->sig_ignored, &out->sig_caught);
	return 0;
}

/* Thread `tid` of live process `p`, or NULL. */
static struct thread *thread_in(struct process *p, int tid)
{
	struct thread *t;

	list_for_each_entry(t, &p->threads, group)
		if (t->tid == tid)
			return t;
	return NULL;
}

static int proc_get_thread(int pid, int tid, struct procfs_proc *out)
{
	struct process *p = process_find(pid);
	struct thread *t = p ? thread_in(p, tid) : NULL;

	/* A zombie keeps its leader's task entry until it is reaped, as on
	 * Linux (ps -L, /proc/PID/task/PID/stat read Z). */
	if (p && p->state == PROCESS_ZOMBIE && tid == pid)
		return proc_get(pid, out);
	if (!t || proc_get(pid, out))
		return -ESRCH;
	out->tid = tid;
	out->thread = t;
	out->state = p->stopped ? 'T' : t->state == THREAD_RUNNABLE ? 'R' : 'S';
	return 0;
}

static int proc_next_thread(int pid, int after)
{
	struct process *p = process_find(pid);
	struct thread *t;
	int best = 0;

	if (p && p->state == PROCESS_ZOMBIE)
		return after < pid ? pid : 0; /* its leader's entry (proc_get_thread) */
	if (p)
		list_for_each_entry(t, &p->threads, group)
			if (t->tid > after && (!best || t->tid < best))
				best = t->tid;
	return best;
}

static int proc_self(void)
{
	return process_current()->pid;
}

static int proc_self_tid(void)
{
	return sched_current()->tid;
}

static const struct procfs_procs proc_callbacks = {
	.exists = proc_exists,
	.next = proc_next,
	.get = proc_get,
	.get_thread = proc_get_thread,
	.next_thread = proc_next_thread,
	.self = proc_self,
	.self_tid = proc_self_tid,
};

static void trap_return_hook(struct regs *r)
{
	process_return_to_user(r, false);
}

void process_init(void)
{
	trap_set_fault_handler(on_fault);
	trap_set_user_return_hook(trap_return_hook);
	console_set_signal_handler(on_host_signal);
	signal_init();
	vfs_set_last_put_hook(file_gone);
	vfs_set_close_hook(lock_close);
	tty_set_session_ops(&tty_session_ops);
	procfs_set_procs(&proc_callbacks);
	if (signal_thread_init(sched_current()))
		boot_out_of_memory("the first thread's signal state");
}
