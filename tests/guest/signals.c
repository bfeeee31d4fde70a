/*
 * Guest test, area signals: handlers run with Linux's frame and come back
 * through sigreturn with every register and the FPU state intact; masks,
 * pending signals, sigsuspend, sigtimedwait, sigqueue values, the alternate
 * stack, a SIGSEGV handler that recovers with siglongjmp, and a sleep cut
 * short by a signal from another thread (EINTR with the time left).
 */
#include "guest.h"
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

static volatile sig_atomic_t hits, last_sig, last_code;
static volatile int last_value;
static volatile double fp_result;
static sigjmp_buf recover;
static volatile uintptr_t bad_addr = 16; /* volatile: the compiler must not see the fault */
static char altstack[65536];
static volatile int on_alt;

static void handler(int sig, siginfo_t *si, void *uc)
{
	volatile double x = 1.0;
	for (int i = 0; i < 10; i++)
		x = x * 3.0 + 0.5; /* clobber FP registers inside the handler */
	fp_result = x;
	hits++;
	last_sig = sig;
	last_code = si->si_code;
	last_value = si->si_value.sival_int;
	char here;
	on_alt = &here >= altstack && &here < altstack + sizeof(altstack);
	(void)uc;
}

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	last_sig = sig;
	last_value = si->si_addr == (void *)16;
	siglongjmp(recover, 1);
}

static void set_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static pthread_t main_thread;

static void *poke_main(void *arg)
{
	struct timespec ts = {0, 100 * 1000 * 1000};
	nanosleep(&ts, NULL);
	pthread_kill(main_thread, SIGUSR1);
	return arg;
}

int main(void)
{
	sigset_t set, old;

	set_handler(SIGUSR1, handler, 0);
	volatile double before = 2.5;
	kill(getpid(), SIGUSR1);
	guest_check("kill: handler ran", hits == 1 && last_sig == SIGUSR1 && last_code == SI_USER);
	guest_check("FPU state kept across the handler", before * 2 == 5.0 && fp_result > 1000);

	raise(SIGUSR1);
	guest_check("raise: handler ran (SI_TKILL)", hits == 2 && last_code == SI_TKILL);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	raise(SIGUSR1);
	guest_check("blocked: not delivered", hits == 2);
	sigset_t pend;
	sigpending(&pend);
	guest_check("sigpending shows it", sigismember(&pend, SIGUSR1));
	sigprocmask(SIG_SETMASK, &old, NULL);
	guest_check("unblocked: delivered", hits == 3);

	union sigval v = {.sival_int = 4242};
	sigqueue(getpid(), SIGUSR1, v);
	guest_check("sigqueue: value arrives", hits == 4 && last_value == 4242 && last_code == SI_QUEUE);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR2);
	siginfo_t si;
	struct timespec zero = {0, 0}, short_wait = {0, 20 * 1000 * 1000};
	guest_check("sigtimedwait takes a pending signal", sigtimedwait(&set, &si, &zero) == SIGUSR2);
	errno = 0;
	guest_check_err("sigtimedwait times out", sigtimedwait(&set, &si, &short_wait), EAGAIN);

	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0};
	guest_check("sigaltstack", sigaltstack(&ss, NULL) == 0);
	set_handler(SIGUSR1, handler, SA_ONSTACK);
	raise(SIGUSR1);
	guest_check("handler ran on the alternate stack", hits == 5 && on_alt);
	set_handler(SIGUSR1, handler, 0);
	raise(SIGUSR1);
	guest_check("without SA_ONSTACK: the normal stack", hits == 6 && !on_alt);

	set_handler(SIGSEGV, segv_handler, 0);
	if (!sigsetjmp(recover, 1)) {
		*(volatile int *)bad_addr = 1;
		guest_check("SIGSEGV handler ran", 0);
	} else {
		guest_check("SIGSEGV handler ran, si_addr right, siglongjmp back",
			    last_sig == SIGSEGV && last_value == 1);
	}

	main_thread = pthread_self();
	pthread_t th;
	pthread_create(&th, NULL, poke_main, NULL);
	struct timespec nap = {5, 0}, rem = {0, 0};
	int r = nanosleep(&nap, &rem);
	guest_check("nanosleep cut short: EINTR", r == -1 && errno == EINTR);
	guest_check("nanosleep: time left reported", rem.tv_sec >= 3 && rem.tv_sec <= 5);
	pthread_join(th, NULL);

	sigemptyset(&set);
	pthread_create(&th, NULL, poke_main, NULL);
	r = sigsuspend(&set);
	guest_check("sigsuspend returns EINTR after the handler", r == -1 && errno == EINTR && hits == 8);
	pthread_join(th, NULL);
	return guest_bad != 0;
}
