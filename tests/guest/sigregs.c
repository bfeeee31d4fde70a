/*
 * Guest test, area signals: a handler that interrupts ordinary code gives
 * every register back.
 *
 * A loop holds known values in the registers a system call clobbers (RCX,
 * R11) and in the others, and checks them on every turn while SIGALRM
 * interrupts it every millisecond.  The handler's rt_sigreturn must return
 * by IRETQ with all of them: returning by SYSRET, as after an ordinary call,
 * puts the return address in RCX and the flags in R11.  (rt_sigreturn marks
 * the frame "not a syscall" for the restart rules; the way back once looked
 * at that mark instead of the call's number, and the syscall fuzzer then
 * crashed in its own code.)  A second round takes the signals while the
 * loop also makes getppid calls, so the handler runs from a call's way back
 * as well as from an interrupt.
 */
#include "guest.h"

#include <signal.h>
#include <sys/time.h>

#define SIGNALS_WANTED 20
#define TURNS	       20000 /* loop turns between looks at the count */

static volatile sig_atomic_t arrived;

static void on_alarm(int sig)
{
	(void)sig;
	arrived++;
}

/* Spin `turns` times with known values in RCX, R8-R11 and RDX, checking
 * them each turn (and making a getppid call each turn when `call`); returns
 * 0 when they held, else 1. */
static long spin(long turns, int call)
{
	long bad;

	__asm__ volatile("mov $0x1111111111111111, %%rcx\n\t"
			 "mov $0x2222222222222222, %%r11\n\t"
			 "mov $0x3333333333333333, %%r8\n\t"
			 "mov $0x4444444444444444, %%r9\n\t"
			 "mov $0x5555555555555555, %%r10\n\t"
			 "mov $0x6666666666666666, %%rdx\n\t"
			 "xor %0, %0\n"
			 "1:\n\t"
			 "test %2, %2\n\t"
			 "jz 4f\n\t"
			 "mov $110, %%eax\n\t" /* getppid */
			 "syscall\n\t"
			 "mov $0x1111111111111111, %%rcx\n\t" /* the call's own clobbers */
			 "mov $0x2222222222222222, %%r11\n"
			 "4:\n\t"
			 "mov $0x1111111111111111, %%rax\n\t"
			 "cmp %%rax, %%rcx\n\t"
			 "jne 2f\n\t"
			 "mov $0x2222222222222222, %%rax\n\t"
			 "cmp %%rax, %%r11\n\t"
			 "jne 2f\n\t"
			 "mov $0x3333333333333333, %%rax\n\t"
			 "cmp %%rax, %%r8\n\t"
			 "jne 2f\n\t"
			 "mov $0x4444444444444444, %%rax\n\t"
			 "cmp %%rax, %%r9\n\t"
			 "jne 2f\n\t"
			 "mov $0x5555555555555555, %%rax\n\t"
			 "cmp %%rax, %%r10\n\t"
			 "jne 2f\n\t"
			 "mov $0x6666666666666666, %%rax\n\t"
			 "cmp %%rax, %%rdx\n\t"
			 "jne 2f\n\t"
			 "dec %1\n\t"
			 "jnz 1b\n\t"
			 "jmp 3f\n"
			 "2:\n\t"
			 "mov $1, %0\n"
			 "3:\n"
			 : "=&r"(bad), "+r"(turns)
			 : "r"((long)call)
			 : "rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "memory", "cc");
	return bad;
}

/* Spin until SIGNALS_WANTED more signals came; 0 when the registers held. */
static int round_of(int call)
{
	long bad = 0;

	arrived = 0;
	while (arrived < SIGNALS_WANTED && !bad)
		bad = spin(TURNS, call);
	return !bad;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	struct itimerval every_ms = { { 0, 1000 }, { 0, 1000 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	sigemptyset(&sa.sa_mask);
	guest_check("sigaction", sigaction(SIGALRM, &sa, NULL) == 0);
	guest_check("setitimer", setitimer(ITIMER_REAL, &every_ms, NULL) == 0);
	guest_check("registers held across handlers interrupting a loop", round_of(0));
	guest_check("registers held across handlers interrupting a loop of calls", round_of(1));
	setitimer(ITIMER_REAL, &off, NULL);
	return guest_finish();
}
