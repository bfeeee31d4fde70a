/*
 * Threads and the scheduler.  Every thread of the program has its own kernel
 * stack; the kernel itself is not preemptible (it runs with interrupts off
 * except while idle), and a thread in ring 3 is preempted by the one-shot
 * timer when another thread is runnable.  One way to block: sched_wait(),
 * which wakes on a condition, a deadline or a signal.
 */
#ifndef CORE_SCHED_H
#define CORE_SCHED_H

#include <stdbool.h>
#include <stdint.h>
#include <lib/list.h>
#include "arch/x86_64/asm.h" /* PERCPU_CURRENT */

struct regs;

enum thread_state {
	THREAD_RUNNABLE, /* on the run queue, or running */
	THREAD_BLOCKED,	 /* in sched_wait() */
	THREAD_DEAD,	 /* exited; its stack is freed by the next thread */
};

struct file;
struct mm;
struct fdtable;
struct fs_context;
struct cred;
struct sighand;
struct process;
#define THREAD_HELD_MAX 4 /* files one system call keeps referenced (fs/file.c) */

struct thread {
	int tid;
	enum thread_state state;  /* sched_lock (core/sched.c) */
	uint64_t kstack_top;	  /* top of this thread's kernel stack */
	void *kstack;		  /* its allocation */
	uint64_t ksp;		  /* saved kernel stack pointer while switched out */
	uint64_t deadline;	  /* blocked: wake at this monotonic ns (0: none); sched_lock */
	uint64_t fs_base;	  /* the program's FS base (TLS) */
	uint64_t gs_base;	  /* the program's GS base */
	void *fpu;		  /* XSAVE area, 64-byte aligned */
	uint64_t clear_child_tid; /* set_tid_address / CLONE_CHILD_CLEARTID */
	uint64_t robust_list, robust_len;
	uint64_t rseq;	   /* registered struct rseq, or 0 */
	uint32_t rseq_sig; /* its abort signature */
	/* What the thread shares with the others of its process (design.md
	 * contract 16, Linux's task->mm, files, fs, cred and sighand): its
	 * address space, descriptor table, place in the tree, credentials and
	 * signal actions.  A new thread takes its creator's; init sets the
	 * first thread's. */
	struct mm *mm;
	struct fdtable *files;
	struct fs_context *fs;
	struct cred *cred;	 /* who it is (core/cred.h) */
	struct sighand *sighand; /* the signals' actions (linux/signal.c) */
	struct process *proc;	 /* its process (linux/process.h) */
	struct list_head group;	 /* in its process's threads (linux/process.c) */
	uint64_t sigmask;	 /* blocked signals, bit (signo - 1) */
	void *sig;		 /* pending signals, alternate stack: owned by linux/signal.c */
	/* Files the current system call holds a reference on (fd_hold), so
	 * that another thread closing the descriptor cannot free them under
	 * a blocked call; dropped when the call returns (fd_release_held). */
	struct file *held[THREAD_HELD_MAX];
	unsigned nheld;
	/* CPU time (time_busy_ns: halted time excluded) used before it last
	 * got the CPU, and the busy time at that moment.  sched_lock. */
	uint64_t cpu_ns;
	uint64_t cpu_since;
	struct list_head node; /* in the run queue; sched_lock */
	struct list_head all;  /* in the list of all threads; sched_lock */
};

/* The thread running on this CPU: one load from the per-CPU area (%gs,
 * arch/x86_64/cpu.h).  Volatile, so that no load is reused across the
 * boot's first assignment of the current thread or a switch. */
static inline struct thread *sched_current(void)
{
	struct thread *t;

	__asm__ volatile("mov %%gs:%c1, %0" : "=r"(t) : "i"(PERCPU_CURRENT));
	return t;
}

/* The registers the current thread entered the kernel with (syscall or
 * trap from ring 3): they sit at the top of its kernel stack. */
struct regs *sched_user_regs(struct thread *t);

/* Create the program's first thread (tid 1) with a fresh kernel stack, and
 * make it current; init gives it its mm, files and fs.  Called once by
 * init. */
struct thread *sched_create_main(void);

/*
 * Create a thread that starts in ring 3 with the registers `r` (copied) and
 * the FPU state of the current thread; it is runnable at once.  Returns it,
 * or NULL when out of memory.  Syscall context.
 */
struct thread *sched_spawn(const struct regs *r, uint64_t fs_base);

/*
 * Create a kernel thread running fn(arg) in ring 0 under the system-call
 * rule (interrupts off but while it waits), with the kernel's address
 * space and no process: it may sleep (sched_wait, waitq_wait) but never
 * takes a signal, and it is no program's: its tid is 0, which sched_find
 * never finds.  Returning from `fn` ends it.  Returns it, or NULL when
 * out of memory.  Process context.
 */
struct thread *sched_spawn_kernel(void (*fn)(void *arg), void *arg);

/* Put the current thread's FPU, SSE and AVX registers in their initial
 * state (execve). */
void sched_fpu_reset(void);

/* End the current thread (never returns).  The caller has done the
 * program-visible cleanup (clear_child_tid, robust list). */
__attribute__((noreturn)) void sched_exit_thread(void);

/* The context switches made since boot (the agent's metrics).  Any
 * context. */
uint64_t sched_switch_count(void);

/* The number of threads alive. */
unsigned sched_thread_count(void);

/* A wait cut short by a signal: the syscall is restarted if the handler has
 * SA_RESTART (or none runs), else it fails with EINTR (linux/signal.c). */
#define ERESTARTSYS 512

/*
 * Block the current thread until `cond(arg)` is true (checked with interrupts
 * off), `deadline_ns` (monotonic, 0 = none) passes, or a signal is pending
 * for it (sched_signal_check).  Returns 0, -ETIMEDOUT or -ERESTARTSYS.
 * Process context only.
 */
long sched_wait(bool (*cond)(void *arg), void *arg, uint64_t deadline_ns);

/*
 * sched_wait_uninterruptible - as sched_wait with no deadline, but a signal
 * does not end it: for waits that must not be abandoned half-way, such as
 * a disk request whose buffer the device is still writing (Linux's
 * TASK_UNINTERRUPTIBLE, the "D" state).  The condition must come true
 * through a wake-up.  Process context only.
 */
void sched_wait_uninterruptible(bool (*cond)(void *arg), void *arg);

/* Wake thread `t` to re-check its condition, if it is blocked (a wait
 * queue's waker: core/waitq.c, which keeps `t` alive meanwhile).  Any
 * context; takes sched_lock, so not under it. */
void sched_wake(struct thread *t);

/* Wake every waiter to re-check its condition.  Any context; takes
 * sched_lock, so not under it.  Objects with a wait queue (core/waitq.h:
 * sockets but unix datagram ones, pipes, eventfd, timerfd,
 * epoll) never call it; what still does is either global by nature (a
 * signal, a process's exit or stop, which any thread may be waiting for)
 * or not converted yet (futexes, SysV IPC, the terminals and the console,
 * unix datagrams, signalfd): docs/architecture.md lists them. */
void sched_wake_all(void);

/* Give the CPU to another runnable thread, if any (sched_yield). */
void sched_yield(void);

/* Called at the end of every trap from ring 3 (the timer's in particular):
 * switch if the current thread's time slice is over. */
void sched_preempt(void);

/*
 * Kernel timers: `fn` runs once, with interrupts off and sched_lock not held,
 * at or after the monotonic time `expires` (from the scheduler's idle loop or
 * on a return to ring 3, so within a slice of it).  `fn` may re-add its timer
 * and wake threads.  The list is guarded by sched_lock; ktimer_del does not
 * wait for a callback running on another CPU (Linux's del_timer_sync): with
 * SMP, an owner freeing its timer must.  Any context.
 */
struct ktimer {
	uint64_t expires;
	void (*fn)(struct ktimer *t);
	struct list_head node; /* in the sorted timer list while pending */
};
void ktimer_add(struct ktimer *t);
void ktimer_del(struct ktimer *t); /* harmless if not pending */
bool ktimer_pending(const struct ktimer *t);

/* Whether thread `t` has a signal to take, which ends its waits: set by the
 * signal layer (linux/signal.c); NULL until then. */
extern bool (*sched_signal_check)(struct thread *t);

/* The CPU time thread `t` has used, in ns: the time it held the CPU, not
 * counting halts (what CLOCK_THREAD_CPUTIME_ID reads).  Never goes back.
 * Any context. */
uint64_t sched_thread_cpu_ns(const struct thread *t);

/* The live thread with this tid, or NULL.  The thread stays alive while the
 * caller runs under the system-call rule (core/spinlock.h): threads exit
 * only in their own system calls.  With SMP this takes a reference. */
struct thread *sched_find(int tid);

#endif
