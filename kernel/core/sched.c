/*
 * The scheduler: round-robin over the program's threads on one CPU.
 *
 * Invariants (sched_lock guards them): a thread is on run_queue exactly when
 * it is RUNNABLE and not running; every live thread is on all_threads.  The
 * kernel is not preemptible: a switch happens only in schedule(), called when
 * the current thread blocks, yields, exits, or returns to ring 3 after its
 * slice.  schedule() runs with sched_lock held and keeps it across the
 * switch: the thread switched to releases it (as Linux's run-queue lock), a
 * new one in thread_start().  It drops the lock while it idles and while a
 * kernel timer's callback runs, so interrupt handlers and callbacks may wake
 * threads and add timers.  Lock order: a subsystem's lock (signal_lock,
 * timer_lock, a pipe's ...) before sched_lock, which comes before the heap's
 * and the clock's (vvar_lock).
 * Tickless: the one-shot timer is armed only for the nearest deadline of a
 * blocked thread or the end of the slice when another thread waits to run.
 */
#include "core/sched.h"
#include "arch/x86_64/cpu.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/spinlock.h"
#include "core/time.h"
#include "core/vm.h"

#define KSTACK_SIZE (16 * 1024)
#define SLICE_NS    (10 * 1000 * 1000ull)
#define XSAVE_ALIGN 64

bool (*sched_signal_check)(struct thread *t);
/* Guards everything below, and each thread's state, deadline, node, all,
 * cpu_ns and cpu_since. */
static struct spinlock sched_lock = SPINLOCK_INIT;
static struct list_head run_queue = LIST_HEAD_INIT(run_queue);
static struct list_head all_threads = LIST_HEAD_INIT(all_threads);
static struct list_head timers = LIST_HEAD_INIT(timers); /* sorted by expiry */
static struct thread *zombie; /* the last thread that exited: its stack is freed later */
static unsigned nthreads;
static int next_tid = 1;
static uint64_t slice_end; /* when the running thread's slice ends (0: no slice) */
static bool need_resched;  /* a thread woke: give it the CPU at the next chance */
static bool in_schedule;   /* the current thread is in schedule() (per CPU with SMP) */

void switch_stacks(uint64_t *prev_ksp, uint64_t next_ksp);

struct regs *sched_user_regs(struct thread *t)
{
	return (struct regs *)(t->kstack_top - sizeof(struct regs));
}

struct thread *sched_find(int tid)
{
	uint64_t flags = spin_lock_irqsave(&sched_lock);
	struct thread *t, *found = NULL;

	list_for_each_entry(t, &all_threads, all)
		if (tid > 0 && t->tid == tid) { /* never a kernel thread (tid 0) */
			found = t;
			break;
		}
	spin_unlock_irqrestore(&sched_lock, flags);
	return found;
}

uint64_t sched_thread_cpu_ns(const struct thread *t)
{
	uint64_t flags = spin_lock_irqsave(&sched_lock); /* against a switch meanwhile */
	uint64_t ns = t->cpu_ns + (t == sched_current() ? time_busy_ns() - t->cpu_since : 0);

	spin_unlock_irqrestore(&sched_lock, flags);
	return ns;
}

unsigned sched_thread_count(void)
{
	return nthreads;
}

/* The FPU/SSE/AVX registers of the program, saved per thread (design.md 2). */
static void fpu_save(void *area)
{
	if (cpu_features.xsave)
		__asm__ volatile("xsave64 (%0)" : : "r"(area), "a"(-1), "d"(-1) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

static void fpu_restore(void *area)
{
	if (cpu_features.xsave)
		__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"(-1), "d"(-1) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

/* A new thread; a kernel thread (@kernel) takes no tid from the programs'
 * numbering (its tid is 0). */
static struct thread *thread_alloc(bool kernel)
{
	struct thread *t = kzalloc(sizeof(*t));
	size_t fpu_size = cpu_features.xsave_size + XSAVE_ALIGN;
	uint64_t flags;

	if (!t)
		return NULL;
	t->kstack = kmalloc(KSTACK_SIZE);
	t->fpu = kzalloc(fpu_size);
	if (!t->kstack || !t->fpu) {
		kfree(t->kstack);
		kfree(t->fpu);
		kfree(t);
		return NULL;
	}
	t->kstack_top = (uint64_t)t->kstack + KSTACK_SIZE;
	t->state = THREAD_RUNNABLE;
	list_init(&t->node);
	flags = spin_lock_irqsave(&sched_lock);
	t->tid = kernel ? 0 : next_tid++;
	list_add_tail(&t->all, &all_threads);
	nthreads++;
	spin_unlock_irqrestore(&sched_lock, flags);
	return t;
}

static void thread_free(struct thread *t)
{
	kfree(t->kstack);
	kfree(t->fpu);
	kfree(t);
}

/* The 64-byte aligned XSAVE area inside t->fpu. */
static void *fpu_area(struct thread *t)
{
	return (void *)ALIGN_UP((uint64_t)t->fpu, XSAVE_ALIGN);
}

/* Offsets in the legacy area of an XSAVE/FXSAVE image (Intel SDM vol. 1,
 * 10.5.1): the x87 control word and MXCSR, with their values at reset. */
#define FXSAVE_FCW    0
#define FXSAVE_MXCSR  24
#define FCW_DEFAULT   0x037f
#define MXCSR_DEFAULT 0x1f80

void sched_fpu_reset(void)
{
	struct thread *t = sched_current();
	uint8_t *area = fpu_area(t);
	uint16_t fcw = FCW_DEFAULT;
	uint32_t mxcsr = MXCSR_DEFAULT;

	/* A zeroed header (XSTATE_BV 0) puts every component XRSTOR loads in
	 * its initial state; FXRSTOR and MXCSR read the legacy words. */
	memset(area, 0, cpu_features.xsave ? cpu_features.xsave_size : 512);
	memcpy(area + FXSAVE_FCW, &fcw, sizeof(fcw));
	memcpy(area + FXSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
	fpu_restore(area);
}

struct thread *sched_create_main(void)
{
	struct thread *t = thread_alloc(false);

	if (!t)
		boot_out_of_memory("the first thread");
	percpu()->current = t;
	t->cpu_since = time_busy_ns();
	cpu_set_kernel_stack(t->kstack_top);
	return t;
}

/* Free the last exited thread's stack, once off it.  sched_lock held. */
static void reap(void)
{
	if (zombie && zombie != sched_current()) {
		thread_free(zombie);
		zombie = NULL;
	}
}

static uint64_t switches; /* context switches (sched_switch_count); sched_lock */

uint64_t sched_switch_count(void)
{
	return switches;
}

/* sched_lock held: the thread switched to releases it. */
static void switch_to(struct thread *next)
{
	struct thread *prev = sched_current();
	uint64_t busy;

	if (prev == next)
		return;
	switches++;
	busy = time_busy_ns();
	prev->cpu_ns += busy - prev->cpu_since;
	next->cpu_since = busy;
	fpu_save(fpu_area(prev));
	if (next->mm != prev->mm)
		mm_switch(next->mm);
	percpu()->current = next;
	cpu_set_kernel_stack(next->kstack_top);
	wrmsr(MSR_FS_BASE, next->fs_base);
	wrmsr(MSR_KERNEL_GS_BASE, next->gs_base); /* the user's GS while we run */
	fpu_restore(fpu_area(next));
	switch_stacks(&prev->ksp, next->ksp);
	reap();
}

static void program_timer(void);

/* Make a blocked (or new) thread runnable.  The current thread too: inside
 * schedule() it is blocked, and schedule() then picks it like any other;
 * outside, it is still running (sched_wait checking its condition), so it
 * only stays runnable.  sched_lock held. */
static void enqueue(struct thread *t)
{
	t->state = THREAD_RUNNABLE;
	if (t == sched_current() && !in_schedule)
		return;
	if (list_empty(&t->node))
		list_add_tail(&t->node, &run_queue);
	need_resched = true;
}

void ktimer_add(struct ktimer *t)
{
	uint64_t flags = spin_lock_irqsave(&sched_lock);
	struct ktimer *k;

	if (!list_empty(&t->node) && t->node.next)
		list_del(&t->node);
	list_for_each_entry(k, &timers, node)
		if (k->expires > t->expires)
			break;
	list_add_tail(&t->node, &k->node); /* before k, or at the end */
	program_timer();
	spin_unlock_irqrestore(&sched_lock, flags);
}

void ktimer_del(struct ktimer *t)
{
	uint64_t flags = spin_lock_irqsave(&sched_lock);
	if (t->node.next && !list_empty(&t->node))
		list_del(&t->node);
	spin_unlock_irqrestore(&sched_lock, flags);
}

bool ktimer_pending(const struct ktimer *t)
{
	uint64_t flags = spin_lock_irqsave(&sched_lock);
	bool pending = t->node.next && !list_empty(&t->node);

	spin_unlock_irqrestore(&sched_lock, flags);
	return pending;
}

/* Run the kernel timers that are due.  sched_lock held, dropped around each
 * callback (which may add timers and wake threads); interrupts stay off. */
static void run_timers(uint64_t now)
{
	while (!list_empty(&timers)) {
		struct ktimer *t = list_first_entry(&timers, struct ktimer, node);
		if (t->expires > now)
			break;
		list_del(&t->node);
		spin_unlock(&sched_lock);
		t->fn(t);
		spin_lock(&sched_lock);
	}
}

/* Run due timers and make blocked threads whose deadline passed runnable.
 * sched_lock held. */
static void wake_expired(void)
{
	uint64_t now = time_monotonic_ns();
	struct thread *t;

	run_timers(now);
	list_for_each_entry(t, &all_threads, all)
		if (t->state == THREAD_BLOCKED && t->deadline && t->deadline <= now)
			enqueue(t);
}

/* Arm the one-shot timer for the nearest event: a kernel timer, a blocked
 * thread's deadline, or the end of the slice when another thread waits.
 * sched_lock held. */
static void program_timer(void)
{
	uint64_t when =
		list_empty(&timers) ? 0 : list_first_entry(&timers, struct ktimer, node)->expires;
	struct thread *t;

	list_for_each_entry(t, &all_threads, all)
		if (t->state == THREAD_BLOCKED && t->deadline && (!when || t->deadline < when))
			when = t->deadline;
	if (!list_empty(&run_queue)) {
		if (!slice_end)
			slice_end = time_monotonic_ns() + SLICE_NS;
		if (!when || slice_end < when)
			when = slice_end;
	}
	if (when)
		time_arm_timer(when);
}

/* Pick the next thread and switch to it, idling while none is runnable.
 * sched_lock held (interrupts off), by the thread that returns from here
 * too.  The current thread's state says what becomes of it. */
static void schedule(void)
{
	struct thread *cur = sched_current(), *next;

	in_schedule = true;
	if (cur->state == THREAD_RUNNABLE && list_empty(&cur->node))
		list_add_tail(&cur->node, &run_queue);
	for (;;) {
		wake_expired();
		if (!list_empty(&run_queue))
			break;
		program_timer();
		spin_unlock(&sched_lock); /* an interrupt may wake someone */
		time_idle();
		spin_lock(&sched_lock);
	}
	next = list_first_entry(&run_queue, struct thread, node);
	list_del(&next->node);
	need_resched = false;
	slice_end = 0;
	program_timer();
	in_schedule = false; /* `next` runs from here */
	switch_to(next);
}

/* Why sched_wait stops waiting, or 1 to wait on.  deadline_ns
 * WAIT_UNINTERRUPTIBLE: the condition alone ends it. */
#define WAIT_UNINTERRUPTIBLE UINT64_MAX
static long wait_over(struct thread *cur, bool (*cond)(void *arg), void *arg, uint64_t deadline_ns)
{
	if (cond(arg))
		return 0;
	if (deadline_ns == WAIT_UNINTERRUPTIBLE)
		return 1;
	if (sched_signal_check && sched_signal_check(cur))
		return -ERESTARTSYS;
	if (deadline_ns && time_monotonic_ns() >= deadline_ns)
		return -ETIMEDOUT;
	return 1;
}

long sched_wait(bool (*cond)(void *arg), void *arg, uint64_t deadline_ns)
{
	struct thread *cur = sched_current();
	uint64_t flags = spin_lock_irqsave(&sched_lock);
	long ret;

	for (;;) {
		/* Blocked before the condition is checked, so a wake-up from then
		 * on makes it runnable again and none is lost (Linux's
		 * prepare_to_wait).  The condition and the signal check take their
		 * own locks: not under sched_lock. */
		cur->state = THREAD_BLOCKED;
		spin_unlock(&sched_lock);
		ret = wait_over(cur, cond, arg, deadline_ns);
		spin_lock(&sched_lock);
		if (ret <= 0)
			break;
		/* wait_over checked it meanwhile */
		cur->deadline = deadline_ns == WAIT_UNINTERRUPTIBLE ? 0 : deadline_ns;
		schedule();
	}
	cur->state = THREAD_RUNNABLE;
	cur->deadline = 0;
	spin_unlock_irqrestore(&sched_lock, flags);
	return ret;
}

void sched_wait_uninterruptible(bool (*cond)(void *arg), void *arg)
{
	sched_wait(cond, arg, WAIT_UNINTERRUPTIBLE);
}

void sched_wake(struct thread *t)
{
	uint64_t flags = spin_lock_irqsave(&sched_lock);

	if (t->state == THREAD_BLOCKED) {
		enqueue(t);
		program_timer();
	}
	spin_unlock_irqrestore(&sched_lock, flags);
}

void sched_wake_all(void)
{
	uint64_t flags = spin_lock_irqsave(&sched_lock);
	struct thread *t;

	list_for_each_entry(t, &all_threads, all)
		if (t->state == THREAD_BLOCKED)
			enqueue(t);
	if (!list_empty(&run_queue))
		program_timer();
	spin_unlock_irqrestore(&sched_lock, flags);
}

void sched_yield(void)
{
	uint64_t flags = spin_lock_irqsave(&sched_lock);
	schedule();
	spin_unlock_irqrestore(&sched_lock, flags);
}

void sched_preempt(void)
{
	uint64_t flags = spin_lock_irqsave(&sched_lock);

	wake_expired();
	if (!list_empty(&run_queue) &&
	    (need_resched || (slice_end && time_monotonic_ns() >= slice_end)))
		schedule();
	else
		program_timer();
	spin_unlock_irqrestore(&sched_lock, flags);
}

/* A new thread's first kernel code: leave for ring 3 with its registers.
 * It got the CPU from schedule(), with sched_lock held. */
static void __noreturn thread_start(void)
{
	reap();
	spin_unlock(&sched_lock);
	trap_enter_user(sched_user_regs(sched_current()));
}

/* What a kernel thread runs, kept where a user thread's registers go. */
struct kthread_entry {
	void (*fn)(void *arg);
	void *arg;
};

static void __noreturn kthread_start(void)
{
	struct kthread_entry *k = (struct kthread_entry *)sched_user_regs(sched_current());

	reap();
	spin_unlock(&sched_lock);
	k->fn(k->arg);
	sched_exit_thread();
}

/* Lay out `t`'s stack so that the first switch to it returns into
 * `start`: six callee-saved registers and the return address, with the
 * ABI's call alignment; then make it runnable. */
static void thread_launch(struct thread *t, void (*start)(void))
{
	uint64_t *sp = (uint64_t *)sched_user_regs(t) - 2, flags;

	*sp = (uint64_t)start;
	sp -= 6;
	memset(sp, 0, 6 * sizeof(*sp));
	t->ksp = (uint64_t)sp;
	flags = spin_lock_irqsave(&sched_lock);
	enqueue(t);
	/* Arm the end of the slice: a parent that then spins in ring 3 must
	 * still give the new thread the CPU. */
	program_timer();
	spin_unlock_irqrestore(&sched_lock, flags);
}

struct thread *sched_spawn_kernel(void (*fn)(void *arg), void *arg)
{
	struct thread *t = thread_alloc(true);
	struct kthread_entry k = { fn, arg };

	if (!t)
		return NULL;
	memcpy(sched_user_regs(t), &k, sizeof(k));
	t->mm = mm_kernel();
	fpu_save(fpu_area(t));
	thread_launch(t, kthread_start);
	return t;
}

struct thread *sched_spawn(const struct regs *r, uint64_t fs_base)
{
	struct thread *t = thread_alloc(false);

	if (!t)
		return NULL;
	memcpy(sched_user_regs(t), r, sizeof(*r));
	t->fs_base = fs_base;
	t->gs_base = sched_current()->gs_base;
	t->mm = sched_current()->mm; /* a thread of the same process */
	t->files = sched_current()->files;
	t->fs = sched_current()->fs;
	t->cred = sched_current()->cred;
	t->sighand = sched_current()->sighand;
	fpu_save(fpu_area(t)); /* the child starts with the parent's FPU state */
	thread_launch(t, thread_start);
	return t;
}

void sched_exit_thread(void)
{
	struct thread *cur = sched_current();

	irq_disable();
	spin_lock(&sched_lock); /* the next thread releases it */
	cur->state = THREAD_DEAD;
	list_del(&cur->all);
	nthreads--;
	if (zombie)
		thread_free(zombie); /* never the current one: it is not dead */
	zombie = cur;
	schedule();
	panic("sched: a dead thread was scheduled");
}
