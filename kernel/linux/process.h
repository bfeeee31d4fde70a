/*
 * Processes (design.md contract 16: thread -> process -> mm, as Linux's
 * task_struct -> signal_struct -> mm_struct).  A process is a group of
 * threads with one pid (its first thread's tid, as Linux's tgid), a place
 * in the tree of parents and children, a process group and a session, the
 * signals sent to it as a whole, its limits and names, and how it ended.
 * What its threads share as objects (mm, files, fs, cred, sighand) hangs
 * off each thread (core/sched.h); a process's threads point at the same.
 *
 * Life: process_fork (sys_fork.c) makes one; its threads leave through
 * process_exit_thread; the last to leave tears the process down
 * (process_teardown): files, fs, address space go, its children go to the
 * reaper, it becomes a zombie and its parent gets exit_signal; wait4 and
 * waitid (sys_wait.c) reap it, or it is reaped at once when the parent
 * ignores SIGCHLD.  When PID 1 ends the instance ends (contract 18).
 *
 * What guards the tree, every process's fields and the list of all: the
 * system-call rule (core/spinlock.h): one CPU, a kernel that is not
 * preemptible, and no interrupt handler that looks at processes.  The
 * pending set is signal_lock's (linux/signal.c).
 */
#ifndef LINUX_PROCESS_H
#define LINUX_PROCESS_H

#include <stdbool.h>
#include <stdint.h>
#include <lib/list.h>
#include "linux/signal.h"
#include "linux/uapi.h"
#include "core/sched.h"
#include "core/waitq.h"

struct thread;
struct inode;

/* A vfork parent's wait for its child's exec or end (on the parent's
 * stack; the child points at it until it releases it). */
struct vfork_wait {
	bool done;
	struct waitq wq;
};

#define TASK_COMM_LEN	       16
#define PROCESS_TIMER_SLACK_NS 50000 /* Linux's default timer slack */

/* struct timeval and struct rusage (include/uapi/linux/time.h,
 * include/uapi/linux/resource.h), x86-64. */
struct timeval_k {
	int64_t sec, usec;
};

struct rusage_k {
	struct timeval_k utime, stime;
	int64_t maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd,
		msgrcv, nsignals, nvcsw, nivcsw;
};

struct rlimit_k {
	uint64_t cur, max;
};

enum process_state {
	PROCESS_LIVE,	/* has threads */
	PROCESS_ZOMBIE, /* ended, not yet reaped: pid, status and times remain */
};

struct process {
	int pid, pgid, sid;
	enum process_state state;
	struct process *parent;	   /* the reaper's after the parent ends */
	struct list_head children; /* struct process.sibling */
	struct list_head sibling;
	struct list_head all;	  /* in the list of every process */
	struct list_head threads; /* struct thread.group: its live threads */
	unsigned nthreads;
	/* Ending: `exiting` makes every thread leave at its next return to
	 * ring 3 or wake-up; `status` is the wait status (Linux's encoding:
	 * code << 8, or the signal number). */
	bool exiting;
	/* Job control: stopped by a stop signal until SIGCONT (stop_report
	 * below).  Next to `exiting`: the syscall fast path (syscall_asm.h)
	 * tests both in one compare. */
	bool stopped;
	int status;
	uint64_t fault_addr, fault_ip; /* a fault that ended it (for the host) */
	uint32_t uid;		       /* its real uid once ended (SIGCHLD's si_uid) */
	int exit_signal;	       /* sent to the parent at the end: SIGCHLD, or 0 */
	/* Job control: the change to report once to a wait with WUNTRACED or
	 * WCONTINUED (the wait status: sig << 8 | 0x7f stopped, 0xffff
	 * continued; 0 none). */
	int stop_report;
	struct sigpending_k pending; /* process-directed signals (signal_lock) */
	struct waitq children_wq;    /* its threads in wait4/waitid: a child ended */
	struct proc_timers *timers;  /* alarm, itimers, POSIX timers (sys_timer.c) */
	struct rlimit_k rlimits[RLIMIT_NLIMITS];
	char comm[TASK_COMM_LEN]; /* the name: the program's file, or prctl's */
	char *exe;		  /* the program's path (kmalloc'ed), for /proc/PID/exe */
	int pdeath_signal;
	bool child_subreaper, no_new_privs, not_dumpable, thp_disabled, did_exec;
	uint64_t timer_slack_ns;
	int sched_policy, sched_rt_priority, nice;
	bool sched_reset_on_fork;
	uint64_t start_ns;	    /* monotonic time of its creation (/proc stat) */
	uint64_t dead_cpu_ns;	    /* CPU time of its threads that ended */
	uint64_t children_cpu_ns;   /* of its reaped children and theirs (RUSAGE_CHILDREN) */
	uint64_t peak_pages;	    /* the largest resident size seen (ru_maxrss) */
	struct vfork_wait *vfork;   /* a vfork child: its parent's wait, ended at its exec or end */
	struct thread *exec_thread; /* a thread in execve: every other one leaves */
};

/* The process of thread `t`. */
static inline struct process *process_of(const struct thread *t)
{
	return t->proc;
}

/* The calling thread's process. */
static inline struct process *process_current(void)
{
	return sched_current()->proc;
}

/* The live or zombie process `pid`, or NULL. */
struct process *process_find(int pid);

/* PID 1: the instance's first process (the reaper of orphans). */
struct process *process_init_proc(void);

/* The process after `p` in the list of all (NULL: the first), or NULL. */
struct process *process_next(struct process *p);

/* Make the first process around the first thread; boot only. */
void process_boot(struct thread *t);

/* Name the first process after its program, file `prog` (its absolute
 * path is /proc/1/exe, its base name the comm), as execve names later
 * ones.  Boot only, after the program is loaded; out of memory leaves the
 * path unset. */
void process_boot_name(struct inode *prog);

/*
 * fork: a new process, a child of `parent`, with its limits, names, group
 * and session copied; NULL when out of memory.  process_start gives it its
 * first thread (made by sched_spawn, not yet run), whose tid is its pid,
 * and puts it in the tree; process_abort frees one never started.
 */
struct process *process_create(struct process *parent);
void process_start(struct process *p, struct thread *t);
void process_abort(struct process *p);

/* Add thread `t` (new, not yet run) to the process `p`. */
void process_add_thread(struct process *p, struct thread *t);

/*
 * End the process: every thread leaves, the last tears it down.  `status`
 * is the wait status.  For exit_group, a fatal signal, a fault.  Never
 * returns.
 */
__attribute__((noreturn)) void process_exit_group(int status);

/* End the calling thread only (exit); the last thread ends the process
 * with wait status `status`.  Never returns. */
__attribute__((noreturn)) void process_exit_thread(int status);

/* Whether thread `t` must leave: its process is ending, or another of
 * its threads is in execve. */
static inline bool process_exiting(const struct thread *t)
{
	const struct process *p = t->proc;

	return p && (p->exiting || (p->exec_thread && p->exec_thread != t));
}

/* execve past its point of no return: every other thread of the caller's
 * process leaves (Linux's de_thread), and the caller takes the pid as its
 * tid. */
void process_exec_threads(void);

/* Job control (linux/signal.c calls these): the caller's process stops for
 * stop signal `sig` (ignored when its group is orphaned, as Linux, unless
 * SIGSTOP) and the caller waits until SIGCONT or SIGKILL; a thread of a
 * stopped process waits likewise on its way to ring 3; SIGCONT sent to
 * `p` continues it.  The parent hears of both (SIGCHLD unless
 * SA_NOCLDSTOP, and wait's WUNTRACED and WCONTINUED). */
void process_stop(int sig);
void process_stopped_wait(void);
void process_continue(struct process *p);

/* How ended process `p` ended, as the host hears it (its status or signal,
 * a fault's address): PID 1's EXIT frame, an exec's XEXIT (init/exec.c). */
struct monos_chan_exit;
void process_exit_report(const struct process *p, struct monos_chan_exit *e);

/* `fn` runs when a process with no parent ended (the agent, a process the
 * host started: init/exec.c), on its last thread, once it is a zombie that
 * nobody will wait for: the hook's owner reaps it later, from its own
 * thread.  Interrupts off.  Boot only. */
void process_set_orphan_end_hook(void (*fn)(struct process *p));

/* Free a zombie that was waited for: its pid is free again. */
void process_reap(struct process *p);

/* The thread that takes process-directed signals' mask checks: the first
 * live thread (the leader while it lives). */
struct thread *process_main_thread(struct process *p);

/* Release a vfork parent: the child execs or ends. */
void process_vfork_release(struct process *p);

/* Number of live processes (sysinfo's procs, RLIMIT_NPROC). */
unsigned process_count(void);

/* The CPU time `p` has used: its live threads' and those that ended. */
uint64_t process_cpu_ns(struct process *p);

/* sys_timer.c: a process ends (its timers go) or execs (its POSIX timers
 * go; alarm and the interval timers stay, as Linux keeps them). */
void timer_process_exit(struct process *p);
void timer_exec(struct process *p);

#endif
