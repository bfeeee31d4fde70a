/*
 * The scheduler: round-robin over the program's threads on one CPU.
 *
 * Invariants (interrupts off guards them all; with SMP a run-queue lock
 * takes that role): a thread is on run_queue exactly when it is RUNNABLE and
 * not running; every live thread is on all_threads.  The kernel is not
 * preemptible: a switch happens only in schedule(), called when the current
 * thread blocks, yields, exits, or returns to ring 3 after its slice.
 * Tickless: the one-shot timer is armed only for the nearest deadline of a
 * blocked thread or the end of the slice when another thread waits to run.
 */
#include "core/sched.h"
#include "arch/x86_64/cpu.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/time.h"

#define KSTACK_SIZE (16 * 1024)
#define SLICE_NS    (10 * 1000 * 1000ull)
#define XSAVE_ALIGN 64

bool (*sched_signal_check)(struct thread *t);
static struct list_head run_queue = LIST_HEAD_INIT(run_queue);
static struct list_head all_threads = LIST_HEAD_INIT(all_threads);
static struct list_head timers = LIST_HEAD_INIT(timers); /* sorted by expiry */
static struct thread *zombie; /* the last thread that exited: its stack is freed later */
static unsigned nthreads;
static int next_tid = 1;
static uint64_t slice_end; /* when the running thread's slice ends (0: no slice) */
static bool need_resched;  /* a thread woke: give it the CPU at the next chance */

void switch_stacks(uint64_t *prev_ksp, uint64_t next_ksp);

struct thread *sched_current(void)
{
	return percpu()->current;
}

struct regs *sched_user_regs(struct thread *t)
{
	return (struct regs *)(t->kstack_top - sizeof(struct regs));
}

struct thread *sched_find(int tid)
{
	struct thread *t;
	list_for_each_entry(t, &all_threads, all)
		if (t->tid == tid)
			return t;
	return NULL;
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

static struct thread *thread_alloc(void)
{
	struct thread *t = kzalloc(sizeof(*t));
	size_t fpu_size = cpu_features.xsave_size + XSAVE_ALIGN;

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
	t->tid = next_tid++;
	t->state = THREAD_RUNNABLE;
	list_init(&t->node);
	list_add_tail(&t->all, &all_threads);
	nthreads++;
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

struct thread *sched_create_main(void)
{
	struct thread *t = thread_alloc();

	if (!t)
		boot_out_of_memory("the first thread");
	percpu()->current = t;
	cpu_set_kernel_stack(t->kstack_top);
	return t;
}

static void reap(void)
{
	if (zombie && zombie != sched_current()) {
		thread_free(zombie);
		zombie = NULL;
	}
}

static void switch_to(struct thread *next)
{
	struct thread *prev = sched_current();

	if (prev == next)
		return;
	fpu_save(fpu_area(prev));
	percpu()->current = next;
	cpu_set_kernel_stack(next->kstack_top);
	wrmsr(MSR_FS_BASE, next->fs_base);
	wrmsr(MSR_KERNEL_GS_BASE, next->gs_base); /* the user's GS while we run */
	fpu_restore(fpu_area(next));
	switch_stacks(&prev->ksp, next->ksp);
	reap();
}

/* Make a blocked (or new) thread runnable.  The current thread too: it is
 * blocked inside schedule(), which then picks it like any other. */
static void program_timer(void);

static void enqueue(struct thread *t)
{
	t->state = THREAD_RUNNABLE;
	if (list_empty(&t->node))
		list_add_tail(&t->node, &run_queue);
	need_resched = true;
}

void ktimer_add(struct ktimer *t)
{
	uint64_t flags = irq_save();
	struct ktimer *k;

	if (!list_empty(&t->node) && t->node.next)
		list_del(&t->node);
	list_for_each_entry(k, &timers, node)
		if (k->expires > t->expires)
			break;
	list_add_tail(&t->node, &k->node); /* before k, or at the end */
	program_timer();
	irq_restore(flags);
}

void ktimer_del(struct ktimer *t)
{
	uint64_t flags = irq_save();
	if (t->node.next && !list_empty(&t->node))
		list_del(&t->node);
	irq_restore(flags);
}

bool ktimer_pending(const struct ktimer *t)
{
	return t->node.next && !list_empty(&t->node);
}

/* Run the kernel timers that are due. */
static void run_timers(uint64_t now)
{
	while (!list_empty(&timers)) {
		struct ktimer *t = list_first_entry(&timers, struct ktimer, node);
		if (t->expires > now)
			break;
		list_del(&t->node);
		t->fn(t);
	}
}

/* Run due timers and make blocked threads whose deadline passed runnable. */
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
 * thread's deadline, or the end of the slice when another thread waits. */
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
 * Interrupts off.  The current thread's state says what becomes of it. */
static void schedule(void)
{
	struct thread *cur = sched_current(), *next;

	if (cur->state == THREAD_RUNNABLE && list_empty(&cur->node))
		list_add_tail(&cur->node, &run_queue);
	for (;;) {
		wake_expired();
		if (!list_empty(&run_queue))
			break;
		program_timer();
		time_idle(); /* an interrupt may wake someone */
	}
	next = list_first_entry(&run_queue, struct thread, node);
	list_del(&next->node);
	need_resched = false;
	slice_end = 0;
	program_timer();
	switch_to(next);
}

long sched_wait(bool (*cond)(void *arg), void *arg, uint64_t deadline_ns)
{
	struct thread *cur = sched_current();
	uint64_t flags = irq_save();
	long ret = 0;

	for (;;) {
		if (cond(arg))
			break;
		if (sched_signal_check && sched_signal_check(cur)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (deadline_ns && time_monotonic_ns() >= deadline_ns) {
			ret = -ETIMEDOUT;
			break;
		}
		cur->state = THREAD_BLOCKED;
		cur->deadline = deadline_ns;
		schedule();
	}
	cur->state = THREAD_RUNNABLE;
	cur->deadline = 0;
	irq_restore(flags);
	return ret;
}

void sched_wake_all(void)
{
	uint64_t flags = irq_save();
	struct thread *t;

	list_for_each_entry(t, &all_threads, all)
		if (t->state == THREAD_BLOCKED)
			enqueue(t);
	if (!list_empty(&run_queue))
		program_timer();
	irq_restore(flags);
}

void sched_yield(void)
{
	uint64_t flags = irq_save();
	schedule();
	irq_restore(flags);
}

void sched_preempt(void)
{
	wake_expired();
	if (!list_empty(&run_queue) &&
	    (need_resched || (slice_end && time_monotonic_ns() >= slice_end)))
		schedule();
	else
		program_timer();
}

/* A new thread's first kernel code: leave for ring 3 with its registers. */
static void __noreturn thread_start(void)
{
	reap();
	trap_enter_user(sched_user_regs(sched_current()));
}

struct thread *sched_spawn(const struct regs *r, uint64_t fs_base)
{
	struct thread *t = thread_alloc();
	uint64_t *sp;

	if (!t)
		return NULL;
	memcpy(sched_user_regs(t), r, sizeof(*r));
	t->fs_base = fs_base;
	t->gs_base = sched_current()->gs_base;
	fpu_save(fpu_area(t)); /* the child starts with the parent's FPU state */
	/* What switch_stacks pops: six callee-saved registers and a return
	 * address into thread_start, with the ABI's call alignment. */
	sp = (uint64_t *)sched_user_regs(t) - 2;
	*sp = (uint64_t)thread_start;
	sp -= 6;
	memset(sp, 0, 6 * sizeof(*sp));
	t->ksp = (uint64_t)sp;
	enqueue(t);
	/* Arm the end of the slice: a parent that then spins in ring 3 must
	 * still give the new thread the CPU. */
	program_timer();
	return t;
}

void sched_exit_thread(void)
{
	struct thread *cur = sched_current();

	irq_disable();
	cur->state = THREAD_DEAD;
	list_del(&cur->all);
	nthreads--;
	if (zombie)
		thread_free(zombie); /* never the current one: it is not dead */
	zombie = cur;
	schedule();
	panic("sched: a dead thread was scheduled");
}
