/*
 * clone, clone3, fork and vfork: a thread of the caller's process, or a new
 * process (design.md contract 16) whose address space is a copy-on-write
 * copy of the caller's (or the caller's own, with CLONE_VM: vfork and
 * posix_spawn), with its descriptor table, place in the tree and signal
 * actions copied or shared as the flags say; and exit, a thread's end.
 * Semantics: Linux's kernel/fork.c (copy_process), man 2 clone.
 */
#include "linux/syscall.h"
#include "arch/x86_64/cpu.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"
#include "core/vm.h"
#include "fs/vfs.h"
#include "linux/futex.h"
#include "linux/process.h"
#include "linux/signal.h"

#define CSIGNAL		     0x000000ff /* the exit signal */
#define CLONE_VM	     0x00000100
#define CLONE_FS	     0x00000200
#define CLONE_FILES	     0x00000400
#define CLONE_SIGHAND	     0x00000800
#define CLONE_PIDFD	     0x00001000
#define CLONE_PTRACE	     0x00002000
#define CLONE_VFORK	     0x00004000
#define CLONE_PARENT	     0x00008000
#define CLONE_THREAD	     0x00010000
#define CLONE_NEWNS	     0x00020000
#define CLONE_SYSVSEM	     0x00040000
#define CLONE_SETTLS	     0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED	     0x00400000
#define CLONE_UNTRACED	     0x00800000
#define CLONE_CHILD_SETTID   0x01000000
#define CLONE_KNOWN                                                                                \
	(CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_PTRACE |              \
	 CLONE_VFORK | CLONE_PARENT | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |                \
	 CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_UNTRACED |            \
	 CLONE_CHILD_SETTID)
#define CLONE_ARGS_SIZE_VER0 64
#define SIGCHLD_NR	     17

/* Linux's flag rules (copy_process), checked before anything is made. */
static long check_flags(uint64_t flags)
{
	if (flags & ~(uint64_t)CLONE_KNOWN) {
		/* Namespaces, pidfds and the like: not offered. */
		report_unsupported("clone flags (namespaces, pidfd)");
		return -EINVAL;
	}
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & CLONE_PARENT) && process_current() == process_init_proc())
		return -EINVAL;
	if ((flags & CSIGNAL) > NSIG)
		return -EINVAL;
	return 0;
}

/* Write the new thread's id where CLONE_PARENT_SETTID and
 * CLONE_CHILD_SETTID ask: the child's word in its own address space. */
static long put_tids(struct thread *t, uint64_t flags, uint64_t ptid, uint64_t ctid)
{
	struct mm *mm = sched_current()->mm;
	int tid = t->tid;
	long r = 0;

	if ((flags & CLONE_CHILD_SETTID) && t->mm != mm) {
		mm_switch(t->mm);
		r = copy_to_user(ctid, &tid, sizeof(tid));
		mm_switch(mm);
	} else if (flags & CLONE_CHILD_SETTID) {
		r = copy_to_user(ctid, &tid, sizeof(tid));
	}
	if ((flags & CLONE_PARENT_SETTID) && copy_to_user(ptid, &tid, sizeof(tid)))
		r = -EFAULT;
	return r ? -EFAULT : 0; /* the child runs anyway, as on Linux */
}

/* Create a thread of the caller's process: it returns 0 on `stack`. */
static long new_thread(uint64_t flags, const struct regs *r, uint64_t tls, uint64_t ptid,
		       uint64_t ctid)
{
	struct thread *cur = sched_current(), *t;
	void *sig = signal_state_alloc();

	if (!sig)
		return -ENOMEM;
	t = sched_spawn(r, (flags & CLONE_SETTLS) ? tls : cur->fs_base);
	if (!t) {
		kfree(sig);
		return -ENOMEM;
	}
	t->sigmask = cur->sigmask;
	t->sig = sig; /* before it can run: we are in the kernel, not preemptible */
	process_add_thread(process_current(), t);
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = ctid;
	put_tids(t, flags, ptid, ctid);
	return t->tid;
}

/* What a new process takes from its parent: each copied, or shared. */
struct inherit {
	struct mm *mm;
	struct fdtable *files;
	struct fs_context *fs;
	struct sighand *sighand;
	struct cred *cred;
	void *sig;
};

static void inherit_drop(struct inherit *in)
{
	if (in->mm)
		mm_put(in->mm);
	if (in->files)
		fdt_put(in->files);
	if (in->fs)
		vfs_fs_put(in->fs);
	if (in->sighand)
		signal_sighand_put(in->sighand);
	if (in->cred)
		cred_free(in->cred);
	kfree(in->sig);
}

/* Copy or share what the flags say; -ENOMEM (nothing kept) if memory runs
 * out. */
static long inherit(struct inherit *in, uint64_t flags)
{
	struct thread *cur = sched_current();

	*in = (struct inherit){ 0 };
	if (flags & CLONE_VM)
		mm_get(in->mm = cur->mm);
	else
		in->mm = mm_dup(cur->mm);
	if (flags & CLONE_FILES)
		fdt_get(in->files = cur->files);
	else
		in->files = fdt_dup(cur->files);
	if (flags & CLONE_FS)
		vfs_fs_get(in->fs = cur->fs);
	else
		in->fs = vfs_fs_dup(cur->fs);
	if (flags & CLONE_SIGHAND)
		signal_sighand_get(in->sighand = cur->sighand);
	else
		in->sighand = signal_sighand_dup(cur->sighand);
	in->cred = cred_dup(cur->cred);
	in->sig = signal_state_alloc();
	if (!in->mm || !in->files || !in->fs || !in->sighand || !in->cred || !in->sig) {
		inherit_drop(in);
		return -ENOMEM;
	}
	return 0;
}

/* Linux's RLIMIT_NPROC rule: a user may not own more processes than its
 * soft limit, unless it holds CAP_SYS_RESOURCE or CAP_SYS_ADMIN. */
static bool over_nproc(void)
{
	uint32_t uid = cred_current()->uid;
	uint64_t limit = process_current()->rlimits[RLIMIT_NPROC].cur, n = 0;

	if (cred_capable(CAP_SYS_RESOURCE) || cred_capable(CAP_SYS_ADMIN))
		return false;
	for (struct process *p = process_next(NULL); p; p = process_next(p)) {
		struct thread *t = process_main_thread(p);

		if (t && t->cred->uid == uid)
			n++;
	}
	return n >= limit;
}

static bool vfork_released(void *arg)
{
	return ((struct vfork_wait *)arg)->done || process_exiting(sched_current());
}

/* A vfork parent waits until the child execs or ends; only the end of its
 * own process stops the wait (Linux's killable wait_for_vfork_done). */
static void vfork_wait(struct vfork_wait *w)
{
	while (!vfork_released(w))
		waitq_wait(&w->wq, vfork_released, w, 0);
}

/* Create a process: its first thread returns 0 on `stack` (or the caller's
 * stack) in a copy of the caller's address space. */
static long new_process(uint64_t flags, const struct regs *r, uint64_t tls, uint64_t ptid,
			uint64_t ctid)
{
	struct thread *cur = sched_current(), *t;
	struct process *parent = process_current(), *p;
	struct inherit in;
	struct vfork_wait vw = { .done = false };
	long err;

	if (over_nproc())
		return -EAGAIN;
	if (flags & CLONE_PARENT)
		parent = parent->parent;
	if (!(p = process_create(parent)))
		return -ENOMEM;
	if ((err = inherit(&in, flags))) {
		process_abort(p);
		return err == -ENOMEM ? -ENOMEM : err;
	}
	t = sched_spawn(r, (flags & CLONE_SETTLS) ? tls : cur->fs_base);
	if (!t) {
		inherit_drop(&in);
		process_abort(p);
		return -ENOMEM;
	}
	/* Before it can run (we are in the kernel, not preemptible). */
	t->mm = in.mm;
	t->files = in.files;
	t->fs = in.fs;
	t->sighand = in.sighand;
	t->cred = in.cred;
	t->sig = in.sig;
	t->sigmask = cur->sigmask;
	signal_fork_thread(t, cur);
	if (!(flags & CLONE_VM))
		t->rseq = cur->rseq, t->rseq_sig = cur->rseq_sig;
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = ctid;
	p->exit_signal = flags & CSIGNAL;
	if (flags & CLONE_VFORK) {
		waitq_init(&vw.wq);
		p->vfork = &vw;
	}
	process_start(p, t);
	put_tids(t, flags, ptid, ctid);
	err = p->pid; /* `p` may be reaped before the wait ends */
	if (flags & CLONE_VFORK)
		vfork_wait(&vw);
	return err;
}

static long do_clone(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls)
{
	struct regs r = *sched_user_regs(sched_current());
	long err = check_flags(flags);

	if (err)
		return err;
	r.rax = 0;
	if (stack)
		r.rsp = stack;
	if (flags & CLONE_THREAD)
		return new_thread(flags, &r, tls, ptid, ctid);
	return new_process(flags, &r, tls, ptid, ctid);
}

long sys_clone(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls)
{
	return do_clone(flags, stack, ptid, ctid, tls);
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
	if ((a.flags & CSIGNAL) || a.exit_signal > NSIG)
		return -EINVAL; /* clone3 takes the signal in its own field */
	return do_clone(a.flags | a.exit_signal, a.stack ? a.stack + a.stack_size : 0, a.parent_tid,
			a.child_tid, a.tls);
}

long sys_fork(void)
{
	return do_clone(SIGCHLD_NR, 0, 0, 0, 0);
}

long sys_vfork(void)
{
	return do_clone(CLONE_VM | CLONE_VFORK | SIGCHLD_NR, 0, 0, 0, 0);
}

long sys_exit(long status)
{
	process_exit_thread((status & 0xff) << 8);
}
