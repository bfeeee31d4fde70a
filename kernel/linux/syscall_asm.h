/*
 * What the system-call fast path (arch/x86_64/syscall_entry.S) reads of the
 * syscall layer's structures, as constants the assembly can use.  Each is
 * checked against the C layout by a _Static_assert where the structure is
 * defined (linux/table.c, linux/signal.c), so a change of layout fails the
 * build instead of the fast path.
 *
 * The fast path takes a known system call that needs nothing on the way
 * back: no file held (struct thread.nheld), no signal pending for the thread
 * or its process (blocked or not: a pending set that is not empty sends the
 * call the slow way, which then looks at the mask), no mask to restore, the
 * process not exiting, stopped or in another thread's execve, and a return
 * value that is not a restart code.  Anything else goes through
 * syscall_exit_slow(), which is the whole rule (signal_deliver).
 */
#ifndef LINUX_SYSCALL_ASM_H
#define LINUX_SYSCALL_ASM_H

/* struct regs (arch/x86_64/cpu.h) */
#define REGS_RAX    80
#define REGS_RCX    88
#define REGS_R11    48
#define REGS_RIP    136
#define REGS_RFLAGS 152
#define REGS_RSP    160

/* struct thread (core/sched.h) */
#define THREAD_PROC  0x90
#define THREAD_SIG   0xb0
#define THREAD_NHELD 0xd8

/* struct thread_signals (linux/signal.c): the thread's pending set's word,
 * and restore_mask */
#define TS_PENDING	0
#define TS_RESTORE_MASK 0x634

/* struct process (linux/process.h): the process's pending set's word,
 * exiting and stopped (adjacent bytes, tested as one word), exec_thread */
#define PROC_EXITING_STOPPED 0x5c
#define PROC_PENDING	     0x88
#define PROC_EXEC_THREAD     0x830

/* Errors are counted per value below SYSCALL_ERRNO_MAX (linux/syscall.h);
 * the kernel-internal restart codes -ERESTARTSYS, -ERESTARTNOINTR and
 * -ERESTARTNOHAND (core/sched.h, linux/signal.h) only the slow way turns
 * into EINTR or a restart. */
#define ASM_ERRNO_MAX	   134
#define ASM_ERESTART_FIRST 512
#define ASM_ERESTART_COUNT 3
#define ASM_MAX_ERRNO	   4095

#endif
