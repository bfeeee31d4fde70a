/*
 * The scheduler, in its first form: one program thread, and an idle loop
 * folded into sched_wait() (halt until an interrupt; tickless: the LAPIC
 * timer is armed only for the nearest deadline).
 */
#include "core/sched.h"
#include "arch/x86_64/cpu.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/time.h"

#define KSTACK_SIZE (16 * 1024)

volatile int sched_signal_pending;
static struct thread main_thread;

struct thread *sched_current(void)
{
	return percpu()->current;
}

struct thread *sched_create_main(void)
{
	void *stack = kmalloc(KSTACK_SIZE);

	if (!stack)
		panic("sched: no memory for the first kernel stack");
	main_thread.tid = 1;
	main_thread.kstack_top = (uint64_t)stack + KSTACK_SIZE;
	percpu()->current = &main_thread;
	cpu_set_kernel_stack(main_thread.kstack_top);
	return &main_thread;
}

long sched_wait(bool (*cond)(void *arg), void *arg, uint64_t deadline_ns)
{
	uint64_t flags = irq_save();
	long ret = 0;

	for (;;) {
		if (cond(arg))
			break;
		if (sched_signal_pending) {
			ret = -EINTR;
			break;
		}
		if (deadline_ns && time_monotonic_ns() >= deadline_ns) {
			ret = -ETIMEDOUT;
			break;
		}
		if (deadline_ns)
			time_arm_timer(deadline_ns);
		time_idle(); /* interrupts on for the halt only */
	}
	irq_restore(flags);
	return ret;
}

void sched_wake_all(void)
{
	/* One CPU, one thread: the interrupt that called us already ended the
	 * halt in sched_wait(), which re-checks its condition. */
}
