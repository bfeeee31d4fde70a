/*
 * Threads and waiting.  This first kernel runs one program thread; what it
 * offers already has the shape the scheduler of later issues keeps: a thread
 * with its own kernel stack, and one way to block (sched_wait) that wakes on
 * a condition, a deadline or a signal.
 */
#ifndef CORE_SCHED_H
#define CORE_SCHED_H

#include <stdbool.h>
#include <stdint.h>

struct thread {
	int tid;
	uint64_t kstack_top;	  /* top of this thread's kernel stack */
	uint64_t fs_base;	  /* the program's FS base (TLS) */
	uint64_t clear_child_tid; /* set_tid_address */
	uint64_t robust_list, robust_len;
	uint64_t sigmask; /* blocked signals, bit (signo - 1) */
	uint64_t cpu_ns;  /* CPU time used, for CLOCK_*_CPUTIME_ID */
};

/* The thread running on this CPU. */
struct thread *sched_current(void);

/* Create the program's first thread (tid 1) with a fresh kernel stack, and
 * make it current.  Called once by init. */
struct thread *sched_create_main(void);

/*
 * Block the current thread until `cond(arg)` is true (checked with interrupts
 * off), `deadline_ns` (monotonic, 0 = none) passes, or a signal arrives for the
 * program.  Returns 0, -ETIMEDOUT or -EINTR.  Process context only.
 */
long sched_wait(bool (*cond)(void *arg), void *arg, uint64_t deadline_ns);

/* Wake every waiter to re-check its condition.  Any context. */
void sched_wake_all(void);

/* Whether a signal is pending that should interrupt a wait (signal.c sets). */
extern volatile int sched_signal_pending;

#endif
