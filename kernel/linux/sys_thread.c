/*
 * Threads: clone and clone3 (threads only: one process, so no fork) and the
 * end of a thread (exit, robust lists and PI futexes through linux/futex.c,
 * clear_child_tid).  Semantics: Linux's kernel/fork.c, man 2 clone.
 */
#include "linux/syscall.h"
#include "arch/x86_64/cpu.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "linux/futex.h"
#include "linux/signal.h"

#define CLONE_VM	     0x00000100
#define CLONE_FS	     0x00000200
#define CLONE_FILES	     0x00000400
#define CLONE_SIGHAND	     0x00000800
#define CLONE_VFORK	     0x00004000
#define CLONE_THREAD	     0x00010000
#define CLONE_SYSVSEM	     0x00040000
#define CLONE_SETTLS	     0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED	     0x00400000
#define CLONE_CHILD_SETTID   0x01000000
#define CLONE_THREAD_FLAGS   (CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)
#define CLONE_KNOWN                                                                                \
	(CLONE_THREAD_FLAGS | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM | CLONE_SETTLS |              \
	 CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_CHILD_SETTID)
#define CLONE_ARGS_SIZE_VER0 64

/* Create a thread: the child returns 0 on `stack` with TLS `tls`. */
static long spawn_thread(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls)
{
	struct thread *cur = sched_current(), *t;
	struct regs r = *sched_user_regs(cur);
	void *sig;
	int tid;

	if ((flags & CLONE_THREAD_FLAGS) != CLONE_THREAD_FLAGS || (flags & CLONE_VFORK)) {
		/* fork, vfork, posix_spawn: one process per instance. */
		report_unsupported("clone without CLONE_VM|CLONE_THREAD (fork)");
		return -ENOSYS;
	}
	if (flags & ~(uint64_t)(CLONE_KNOWN | 0xff)) /* low byte: exit signal */
		return -EINVAL;
	r.rax = 0;
	if (stack)
		r.rsp = stack;
	sig = signal_state_alloc();
	if (!sig)
		return -ENOMEM;
	t = sched_spawn(&r, (flags & CLONE_SETTLS) ? tls : cur->fs_base);
	if (!t) {
		kfree(sig);
		return -ENOMEM;
	}
	tid = t->tid;
	t->sigmask = cur->sigmask;
	t->sig = sig; /* before it can run: we are in the kernel, not preemptible */
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = ctid;
	if ((flags & CLONE_PARENT_SETTID) && copy_to_user(ptid, &tid, sizeof(tid)))
		return -EFAULT; /* the thread runs anyway, as on Linux */
	if ((flags & CLONE_CHILD_SETTID) && copy_to_user(ctid, &tid, sizeof(tid)))
		return -EFAULT;
	return tid;
}

long sys_clone(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls)
{
	return spawn_thread(flags, stack, ptid, ctid, tls);
}

long sys_clone3(uint64_t uargs, size_t size)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	} a;

	if (size < CLONE_ARGS_SIZE_VER0)
		return -EINVAL;
	if (copy_from_user(&a, uargs, sizeof(a)))
		return -EFAULT;
	if ((a.stack == 0) != (a.stack_size == 0))
		return -EINVAL;
	return spawn_thread(a.flags | (a.exit_signal & 0xff), a.stack ? a.stack + a.stack_size : 0,
			    a.parent_tid, a.child_tid, a.tls);
}

long sys_exit(long status)
{
	struct thread *t = sched_current();
	uint32_t zero = 0;

	if (sched_thread_count() == 1)
		process_exit(status & 0xff); /* the last thread ends the process */
	futex_exit_thread(t);
	signal_thread_exit(t);
	if (t->clear_child_tid && !copy_to_user(t->clear_child_tid, &zero, sizeof(zero)))
		futex_wake_one(t->clear_child_tid);
	sched_exit_thread();
}
