/*
 * Threads: clone and clone3 (threads only: one process, so no fork), the
 * end of a thread (exit, robust lists, clear_child_tid), and futexes.
 * Semantics: Linux's kernel/fork.c and kernel/futex/, man 2 clone, futex.
 * Atomicity: one CPU and a non-preemptible kernel, so a read-check-sleep of
 * a futex word cannot race with another thread's wake.
 */
#include "linux/syscall.h"
#include "arch/x86_64/cpu.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uaccess.h"
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

#define FUTEX_WAIT	       0
#define FUTEX_WAKE	       1
#define FUTEX_REQUEUE	       3
#define FUTEX_CMP_REQUEUE      4
#define FUTEX_WAKE_OP	       5
#define FUTEX_WAIT_BITSET      9
#define FUTEX_WAKE_BITSET      10
#define FUTEX_PRIVATE_FLAG     128
#define FUTEX_CLOCK_REALTIME   256
#define FUTEX_CMD_MASK	       (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu
#define FUTEX_WAITERS	       0x80000000u
#define FUTEX_OWNER_DIED       0x40000000u
#define FUTEX_TID_MASK	       0x3fffffffu
#define ROBUST_LIST_LIMIT      2048

/* A thread waiting on a futex; lives on its stack while it sleeps. */
struct futex_waiter {
	uint64_t uaddr;
	uint32_t bitset;
	bool woken;
	struct list_head node;
};

static struct list_head waiters = LIST_HEAD_INIT(waiters);

static bool was_woken(void *arg)
{
	return ((struct futex_waiter *)arg)->woken;
}

static long futex_wait(uint64_t uaddr, uint32_t val, uint64_t deadline, uint32_t bitset)
{
	struct futex_waiter w = { .uaddr = uaddr, .bitset = bitset };
	uint32_t cur;
	long r;

	if (copy_from_user(&cur, uaddr, sizeof(cur)))
		return -EFAULT;
	if (cur != val)
		return -EAGAIN;
	list_add_tail(&w.node, &waiters);
	r = sched_wait(was_woken, &w, deadline);
	if (!w.woken)
		list_del(&w.node);
	return w.woken ? 0 : r;
}

/* Wake up to `n` waiters on `uaddr` whose bitset meets `bitset`. */
static long futex_wake(uint64_t uaddr, long n, uint32_t bitset)
{
	struct futex_waiter *w, *tmp;
	long woken = 0;

	list_for_each_entry_safe(w, tmp, &waiters, node) {
		if (woken >= n)
			break;
		if (w->uaddr != uaddr || !(w->bitset & bitset))
			continue;
		list_del(&w->node);
		w->woken = true;
		woken++;
	}
	if (woken)
		sched_wake_all();
	return woken;
}

static long futex_requeue(uint64_t uaddr, long nwake, uint64_t uaddr2, long nmove, bool cmp,
			  uint32_t val3)
{
	struct futex_waiter *w;
	uint32_t cur;
	long moved = 0, woken;

	if (nwake < 0 || nmove < 0)
		return -EINVAL;
	if (cmp) {
		if (copy_from_user(&cur, uaddr, sizeof(cur)))
			return -EFAULT;
		if (cur != val3)
			return -EAGAIN;
	}
	woken = futex_wake(uaddr, nwake, FUTEX_BITSET_MATCH_ANY);
	list_for_each_entry(w, &waiters, node) {
		if (moved >= nmove)
			break;
		if (w->uaddr == uaddr) {
			w->uaddr = uaddr2;
			moved++;
		}
	}
	return woken + moved;
}

/* FUTEX_WAKE_OP: encoded as in include/uapi/linux/futex.h FUTEX_OP(). */
static long futex_wake_op(uint64_t uaddr, long n, uint64_t uaddr2, long n2, uint32_t encoded)
{
	unsigned op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
	int32_t oparg = ((int32_t)(encoded << 8)) >> 20, cmparg = ((int32_t)(encoded << 20)) >> 20;
	int32_t old, val;
	bool hit;
	long woken;

	if (encoded & (8u << 28)) /* FUTEX_OP_OPARG_SHIFT */
		oparg = (oparg < 0 || oparg > 31) ? 0 : 1 << oparg;
	if (copy_from_user(&old, uaddr2, sizeof(old)))
		return -EFAULT;
	switch (op) {
	case 0:
		val = oparg;
		break; /* SET */
	case 1:
		val = old + oparg;
		break; /* ADD */
	case 2:
		val = old | oparg;
		break; /* OR */
	case 3:
		val = old & ~oparg;
		break; /* ANDN */
	case 4:
		val = old ^ oparg;
		break; /* XOR */
	default:
		return -ENOSYS;
	}
	switch (cmp) {
	case 0:
		hit = old == cmparg;
		break;
	case 1:
		hit = old != cmparg;
		break;
	case 2:
		hit = old < cmparg;
		break;
	case 3:
		hit = old <= cmparg;
		break;
	case 4:
		hit = old > cmparg;
		break;
	case 5:
		hit = old >= cmparg;
		break;
	default:
		return -ENOSYS;
	}
	if (copy_to_user(uaddr2, &val, sizeof(val)))
		return -EFAULT;
	woken = futex_wake(uaddr, n, FUTEX_BITSET_MATCH_ANY);
	if (hit)
		woken += futex_wake(uaddr2, n2, FUTEX_BITSET_MATCH_ANY);
	return woken;
}

/* The monotonic deadline of a futex timeout, or a negative errno. */
static long futex_deadline(unsigned cmd, bool realtime, uint64_t uts, uint64_t *deadline)
{
	struct {
		int64_t sec, nsec;
	} ts;
	uint64_t ns, now;

	*deadline = 0;
	if (!uts)
		return 0;
	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	ns = (uint64_t)ts.sec * NSEC_PER_SEC + ts.nsec;
	now = time_monotonic_ns();
	if (cmd == FUTEX_WAIT) { /* relative */
		*deadline = now + ns;
	} else { /* FUTEX_WAIT_BITSET: absolute, on the chosen clock */
		uint64_t clock_now = realtime ? time_realtime_ns() : now;
		*deadline = ns <= clock_now ? 1 : now + (ns - clock_now);
	}
	if (!*deadline)
		*deadline = 1;
	return 0;
}

long sys_futex(uint64_t uaddr, long op, uint32_t val, uint64_t utime, uint64_t uaddr2,
	       uint32_t val3)
{
	unsigned cmd = op & FUTEX_CMD_MASK;
	uint64_t deadline;
	long r;

	if (uaddr & 3)
		return -EINVAL;
	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (cmd == FUTEX_WAIT_BITSET && !val3)
			return -EINVAL;
		if ((r = futex_deadline(cmd, op & FUTEX_CLOCK_REALTIME, utime, &deadline)))
			return r;
		return futex_wait(uaddr, val, deadline,
				  cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : val3);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (cmd == FUTEX_WAKE_BITSET && !val3)
			return -EINVAL;
		return futex_wake(uaddr, (int)val,
				  cmd == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : val3);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		/* The requeue count travels in the timeout argument. */
		return futex_requeue(uaddr, (int)val, uaddr2, (long)(int)utime,
				     cmd == FUTEX_CMP_REQUEUE, val3);
	case FUTEX_WAKE_OP:
		return futex_wake_op(uaddr, (int)val, uaddr2, (long)(int)utime, val3);
	default:
		return -ENOSYS; /* PI futexes, FUTEX_FD */
	}
}

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

/* Mark the robust futexes the thread still holds as dead and wake a waiter
 * on each (man 2 set_robust_list; Linux's exit_robust_list()). */
static void exit_robust_list(struct thread *t)
{
	struct {
		uint64_t list;
		int64_t futex_offset;
		uint64_t pending;
	} head;
	uint64_t entry;

	if (!t->robust_list || copy_from_user(&head, t->robust_list, sizeof(head)))
		return;
	entry = head.list;
	for (int i = 0; entry != t->robust_list && i < ROBUST_LIST_LIMIT; i++) {
		uint64_t futex = entry + head.futex_offset, next;
		uint32_t word;
		if (copy_from_user(&next, entry, sizeof(next)))
			return;
		if (!copy_from_user(&word, futex, sizeof(word)) &&
		    (word & FUTEX_TID_MASK) == (uint32_t)t->tid) {
			uint32_t dead = (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
			if (!copy_to_user(futex, &dead, sizeof(dead)) && (word & FUTEX_WAITERS))
				futex_wake(futex, 1, FUTEX_BITSET_MATCH_ANY);
		}
		entry = next;
	}
}

long sys_exit(long status)
{
	struct thread *t = sched_current();
	uint32_t zero = 0;

	if (sched_thread_count() == 1)
		process_exit(status & 0xff); /* the last thread ends the process */
	exit_robust_list(t);
	signal_thread_exit(t);
	if (t->clear_child_tid && !copy_to_user(t->clear_child_tid, &zero, sizeof(zero)))
		futex_wake(t->clear_child_tid, 1, FUTEX_BITSET_MATCH_ANY);
	sched_exit_thread();
}
