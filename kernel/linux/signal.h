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

struct regs;
struct thread;

#define SIGBIT(sig) (1ull << ((sig)-1))
#define SIGSTOP 19
#define SIGCHLD 17
#define SIGCONT 18
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGWINCH 28
#define SIGSYS 31
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

/* si_code values (include/uapi/asm-generic/siginfo.h). */
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_TKILL (-6)
#define SI_TIMER (-2)
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define ILL_ILLOPN 2
#define FPE_INTDIV 1
#define BUS_ADRALN 1
#define TRAP_BRKPT 1

/* What a signal carries; laid out into the program's siginfo_t. */
struct ksiginfo {
	int signo, code;
	int pid, uid;	/* SI_USER, SI_TKILL */
	uint64_t addr;	/* faults */
	int timerid, overrun;
	uint64_t value; /* timers, sigqueue */
};

/* struct sigaction as the kernel sees it (x86-64, with sa_restorer). */
struct sigaction_k {
	uint64_t handler, flags, restorer, mask;
};
#define SA_NOCLDSTOP 0x00000001
#define SA_SIGINFO 0x00000004
#define SA_RESTORER 0x04000000
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000

/* The action table (process-wide), for sys_rt_sigaction. */
struct sigaction_k *signal_action(int sig);

/* A thread's signal state, to put in thread.sig before it can run (NULL
 * when out of memory); signal_thread_init() does both.  0 or -ENOMEM. */
void *signal_state_alloc(void);
int signal_thread_init(struct thread *t);

/*
 * Send `sig` with `info`: to thread `t`, or to the process if `t` is NULL
 * (any thread that does not block it takes it).  A signal the program
 * ignores is dropped.  Any context (interrupts included).
 */
void signal_send(struct thread *t, const struct ksiginfo *info);

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

/* Register the signal check with the scheduler.  Called once. */
void signal_init(void);

/* rt_sigreturn and sigaltstack, with the frame logic (signal.c). */
long signal_sigreturn(struct regs *r);
long signal_altstack(uint64_t uss, uint64_t uoss, uint64_t sp);

#endif
