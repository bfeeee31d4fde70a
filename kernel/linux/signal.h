/*
 * Signals inside the Linux layer: sending, the pending sets, and delivery on
 * the way back to ring 3 (linux/signal.c); the system calls are in
 * sys_signal.c.  Semantics: man 7 signal, Linux's kernel/signal.c and
 * arch/x86/kernel/signal.c (the frame layout).
 */
#ifndef LINUX_SIGNAL_H
#define LINUX_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <lib/list.h>

struct regs;
struct thread;
struct process;
struct sighand;

/* A wait cut short by a signal that must be restarted whatever the handler's
 * SA_RESTART (Linux's ERESTARTNOINTR: FUTEX_LOCK_PI never fails with EINTR);
 * ERESTARTSYS (core/sched.h) restarts only with SA_RESTART. */
#define ERESTARTNOINTR 513
/* Restarted only when no handler runs, whatever SA_RESTART says (Linux's
 * ERESTARTNOHAND: semop, msgsnd, msgrcv are never restarted after one). */
#define ERESTARTNOHAND 514

#define SIGBIT(sig) (1ull << ((sig)-1))
#define SIGSTOP	    19
#define SIGCHLD	    17
#define SIGCONT	    18
#define SIGTSTP	    20
#define SIGTTIN	    21
#define SIGTTOU	    22
#define SIGURG	    23
#define SIGWINCH    28
#define SIGSYS	    31
#define SIGRTMIN    32 /* the kernel's; libcs keep the first two or three */
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

/* si_code values (include/uapi/asm-generic/siginfo.h). */
#define SI_USER	      0
#define SI_KERNEL     0x80
#define SI_TKILL      (-6)
#define SI_QUEUE      (-1)
#define SI_TIMER      (-2)
#define CLD_EXITED    1 /* SIGCHLD's si_code values */
#define CLD_KILLED    2
#define CLD_DUMPED    3
#define CLD_TRAPPED   4
#define CLD_STOPPED   5
#define CLD_CONTINUED 6
#define SEGV_MAPERR   1
#define SEGV_ACCERR   2
#define ILL_ILLOPN    2
#define FPE_INTDIV    1
#define BUS_ADRALN    1
#define TRAP_BRKPT    1

/* What a signal carries; laid out into the program's siginfo_t. */
struct ksiginfo {
	int signo, code;
	int pid, uid;  /* SI_USER, SI_TKILL */
	uint64_t addr; /* faults */
	int timerid, overrun;
	uint64_t value; /* timers, sigqueue */
	int status;	/* SIGCHLD: the exit code or signal */
	/* Kernel-private (Linux's si_sys_private): set by a POSIX timer's
	 * expiry, so taking the signal re-arms it (timer_signal_taken). */
	uint32_t timer_seq;
};

/* struct sigaction as the kernel sees it (x86-64, with sa_restorer). */
struct sigaction_k {
	uint64_t handler, flags, restorer, mask;
};
#define SA_NOCLDSTOP 0x00000001
#define SA_NOCLDWAIT 0x00000002
#define SA_SIGINFO   0x00000004
#define SA_RESTORER  0x04000000
#define SA_ONSTACK   0x08000000
#define SA_RESTART   0x10000000
#define SA_NODEFER   0x40000000
#define SA_RESETHAND 0x80000000

/* The calling process's action for `sig`, for sys_rt_sigaction. */
struct sigaction_k *signal_action(int sig);

/* The signals actions `sh` ignore (SIG_IGN) and catch (a handler), as
 * SIGBIT sets, for /proc/PID/status's SigIgn and SigCgt. */
void signal_action_sets(const struct sighand *sh, uint64_t *ignored, uint64_t *caught);

/* The first process's actions (all SIG_DFL), for its first thread (init;
 * sched.h: thread->sighand, shared by a process's threads). */
struct sighand *signal_sighand_first(void);

/* fork: a copy of the actions with one reference (NULL when out of
 * memory); CLONE_SIGHAND shares them (_get); the last _put frees them. */
struct sighand *signal_sighand_dup(const struct sighand *sh);
void signal_sighand_get(struct sighand *sh);
void signal_sighand_put(struct sighand *sh);

/* execve: actions shared with another process become the caller's own
 * copy (0, -ENOMEM); handled signals go back to SIG_DFL, ignored ones stay
 * ignored; the thread's alternate stack is gone. */
int signal_sighand_unshare(struct sighand **shp);
void signal_exec_reset(struct sighand *sh);
void signal_exec_thread(struct thread *t);

/* Process `p`'s action for `sig` (SIG_DFL for one with no threads left). */
struct sigaction_k *signal_action_of(struct process *p, int sig);

/* Whether `parent`'s children are reaped as they end, with no zombie and
 * no wait: SIGCHLD ignored, or SA_NOCLDWAIT. */
bool signal_child_autoreap(struct process *parent);

/* Whether `parent` asked not to hear of its children's stops and
 * continues (SA_NOCLDSTOP on SIGCHLD). */
bool signal_child_stop_quiet(struct process *parent);

/* A thread's signal state, to put in thread.sig before it can run (NULL
 * when out of memory); signal_thread_init() does both.  0 or -ENOMEM. */
void *signal_state_alloc(void);
int signal_thread_init(struct thread *t);

/* fork: the child's first thread (its state allocated) takes the
 * alternate stack of the thread that forked, as on Linux. */
void signal_fork_thread(struct thread *child, struct thread *parent);

/* A thread's end (sys_exit): drop its pending signals, free its state. */
void signal_thread_exit(struct thread *t);

/*
 * Send `info->signo` with `info`: to thread `t`, or to the process if `t` is
 * NULL (any thread that does not block it takes it).  Returns 0 when it is
 * now pending, SIGPENDING_MERGED when nothing changed (the program ignores
 * it, or a standard signal was pending already), -EAGAIN when a real-time
 * signal is over RLIMIT_SIGPENDING (sigpending.c).  Any context
 * (interrupts included).
 */
int signal_send(struct thread *t, const struct ksiginfo *info);
/* The same to process `p` as a whole. */
int signal_send_process(struct process *p, const struct ksiginfo *info);

/* Discard `sig` wherever it is pending (an action set to ignore it). */
void signal_discard(int sig);

/* Whether thread `t`'s process ignores `sig` (SIG_IGN, or SIG_DFL for a
 * signal whose default is to do nothing). */
bool signal_ignored(struct thread *t, int sig);

/* A fault of the current thread: deliver `info` to its handler, or end the
 * program if the signal is blocked, ignored or has no handler. */
void signal_force_fault(const struct ksiginfo *info);

/*
 * On the way back to ring 3: restart or fail an interrupted syscall, and set
 * up the frame of one pending signal.  Returns true when `r` was changed in a
 * way SYSRET cannot return to.  `syscall`: we come from a system call.
 */
bool signal_deliver(struct regs *r, bool syscall);

/* A counter that moves whenever a signal becomes pending: signalfd's poll
 * generation (epoll's edge trigger).  Any context. */
uint64_t signal_generation(void);

/* Signals pending for the current thread (its own and the process's). */
uint64_t signal_pending_set(void);

/* Take one pending signal of `set` for the current thread: its number, with
 * its info in *info, or 0. */
int signal_dequeue(uint64_t set, struct ksiginfo *info);

/* Write a siginfo_t for `info` to the program at `uaddr`: 0 or -EFAULT. */
long signal_put_siginfo(uint64_t uaddr, const struct ksiginfo *info);

/* The mask to restore after a handler when a syscall (rt_sigsuspend)
 * changed it only for the wait. */
void signal_set_saved_mask(uint64_t mask);

/* ---- sigpending.c: one pending set (the process's, or a thread's) ---- */

/* Guarded by signal_lock (linux/signal.c). */
struct sigpending_k {
	uint64_t set;			/* pending signals, bit (signo - 1) */
	uint64_t counted;		/* standard signals whose info counts */
	struct ksiginfo info[SIGRTMIN]; /* standard signals: the one info */
	struct list_head queue;		/* real-time signals, in order sent */
};
#define SIGPENDING_MERGED 1

/* Add `info` (its signo) to `p`: 0, SIGPENDING_MERGED (a standard signal
 * already pending) or -EAGAIN (over `limit`, the receiving process's
 * RLIMIT_SIGPENDING, as Linux's __sigqueue_alloc reads the target's: the
 * sender may be a timer firing while a kernel thread, which has no
 * process, is current).  The set must have its queue initialised
 * (list_init). */
int sigpending_add(struct sigpending_k *p, const struct ksiginfo *info, uint64_t limit);

/* The signal of `set` to take next from `p` (those of faults first, then
 * the lowest number), or 0. */
int sigpending_next(const struct sigpending_k *p, uint64_t set);

/* Take pending signal `sig` from `p` into *info: a real-time signal's
 * oldest sending (it stays pending while more are queued). */
void sigpending_take(struct sigpending_k *p, int sig, struct ksiginfo *info);

/* Drop every signal of `mask` from `p`; `gone` (may be NULL) sees each
 * info dropped first. */
void sigpending_discard(struct sigpending_k *p, uint64_t mask, void (*gone)(struct ksiginfo *));

/* ---- sys_timer.c ---- */

/* A POSIX timer's signal (info->timer_seq set) was taken (`taken`) or
 * discarded: re-arm a periodic timer and put the overrun count in *info. */
void timer_signal_taken(struct ksiginfo *info, bool taken);

/* Register the signal check with the scheduler.  Called once. */
void signal_init(void);

/* rt_sigreturn and sigaltstack, with the frame logic (signal.c). */
long signal_sigreturn(struct regs *r);
long signal_altstack(uint64_t uss, uint64_t uoss, uint64_t sp);

#endif
