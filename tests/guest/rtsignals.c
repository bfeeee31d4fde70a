/*
 * Guest test, area signals: real-time signals queue (every sending kept, in
 * order, with its own siginfo) while a standard signal is pending once;
 * lower numbers are taken first; si_code and si_value as sigqueue, kill,
 * tkill, rt_sigqueueinfo and rt_tgsigqueueinfo make them; the permission
 * rule on forged si_code; RLIMIT_SIGPENDING; and an action set to ignore a
 * signal discarding it while pending.  Signal numbers print relative to
 * SIGRTMIN, which musl and glibc place differently.
 */
#include "guest.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#define NRT	 5	    /* SIGRTMIN .. SIGRTMIN+4 */
#define FAR_PID	 0x3fffffff /* above any pid_max: never a process */
#define MAX_SEEN 64

static struct {
	int sig, code, value;
} seen[MAX_SEEN];
static volatile int nseen;

static const char *code_name(int code)
{
	static char other[16];

	switch (code) {
	case SI_USER:
		return "SI_USER";
	case SI_QUEUE:
		return "SI_QUEUE";
	case SI_TKILL:
		return "SI_TKILL";
	case SI_TIMER:
		return "SI_TIMER";
	case SI_KERNEL:
		return "SI_KERNEL";
	}
	snprintf(other, sizeof(other), "code %d", code);
	return other;
}

static const char *sig_name(int sig)
{
	static char buf[24];

	if (sig >= SIGRTMIN)
		snprintf(buf, sizeof(buf), "RTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, sizeof(buf), "%d", sig);
	return buf;
}

static void record(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (nseen < MAX_SEEN) {
		seen[nseen].sig = sig;
		seen[nseen].code = si->si_code;
		seen[nseen].value = si->si_code == SI_QUEUE ? si->si_value.sival_int : -1;
		nseen++;
	}
}

/* The test's signals: SIGUSR1, SIGUSR2 and SIGRTMIN..SIGRTMIN+NRT-1. */
static void test_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
	for (int i = 0; i < NRT; i++)
		sigaddset(set, SIGRTMIN + i);
}

static void queue(int sig, int value)
{
	union sigval v = { .sival_int = value };

	if (sigqueue(getpid(), sig, v))
		printf("sigqueue %s: %s\n", sig_name(sig), guest_errname(errno));
}

/* Take every pending signal of the test set without waiting, printing each. */
static int drain(const char *label)
{
	sigset_t set;
	siginfo_t si;
	struct timespec zero = { 0, 0 };
	int sig, n = 0;

	test_set(&set);
	printf("%s:", label);
	while ((sig = sigtimedwait(&set, &si, &zero)) > 0) {
		printf(" %s/%s", sig_name(sig), code_name(si.si_code));
		if (si.si_code == SI_QUEUE)
			printf("/%d", si.si_value.sival_int);
		if (si.si_code == SI_USER) /* pid 0: the info was lost */
			printf("/%s", si.si_pid ? "pid" : "pid0");
		n++;
	}
	printf("\n");
	return n;
}

static void test_queueing(void)
{
	queue(SIGRTMIN + 1, 1);
	queue(SIGRTMIN + 1, 2);
	kill(getpid(), SIGRTMIN + 1);
	queue(SIGRTMIN + 1, 3);
	queue(SIGRTMIN, 10);
	queue(SIGRTMIN, 11);
	kill(getpid(), SIGUSR1);
	queue(SIGUSR1, 5); /* merged: the first sending's info stays */
	kill(getpid(), SIGUSR2);
	raise(SIGRTMIN + 2);
	guest_check("sigqueue'd, kill'ed: 9 signals taken", drain("sigtimedwait order") == 9);
}

static void test_handlers(void)
{
	struct sigaction sa = { 0 };
	sigset_t set, old;

	sa.sa_sigaction = record;
	sa.sa_flags = SA_SIGINFO;
	test_set(&sa.sa_mask); /* one handler at a time: Linux would nest them */
	test_set(&set);
	for (int i = 0; i < NRT; i++)
		sigaction(SIGRTMIN + i, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	queue(SIGRTMIN + 3, 30);
	queue(SIGRTMIN + 3, 31);
	raise(SIGRTMIN + 3);
	queue(SIGRTMIN + 2, 20);
	raise(SIGUSR2);
	nseen = 0;
	sigprocmask(SIG_UNBLOCK, &set, &old); /* every one is delivered here */
	printf("handlers ran:");
	for (int i = 0; i < nseen; i++)
		printf(" %s/%s/%d", sig_name(seen[i].sig), code_name(seen[i].code), seen[i].value);
	printf("\n");
	guest_check("every sending reached its handler", nseen == 5);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* rt_sigqueueinfo and rt_tgsigqueueinfo with a siginfo built by hand. */
static long sqi(int tid, int sig, int code, int value)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = code;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = value;
	if (tid)
		return syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, sig, &si);
	return syscall(SYS_rt_sigqueueinfo, getpid(), sig, &si);
}

static void test_sigqueueinfo(void)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_code = SI_QUEUE;
	guest_check_err("rt_sigqueueinfo SI_QUEUE", sqi(0, SIGRTMIN, SI_QUEUE, 40), 0);
	guest_check_err("rt_tgsigqueueinfo SI_QUEUE to this thread",
			sqi(gettid(), SIGRTMIN + 1, SI_QUEUE, 41), 0);
	guest_check_err("rt_sigqueueinfo SI_USER to itself", sqi(0, SIGRTMIN, SI_USER, 42), 0);
	guest_check_err("rt_sigqueueinfo SI_TKILL to itself", sqi(0, SIGRTMIN, SI_TKILL, 43), 0);
	guest_check_err("rt_sigqueueinfo signal 0", sqi(0, 0, SI_QUEUE, 0), 0);
	guest_check_err("rt_sigqueueinfo bad signal", sqi(0, 65, SI_QUEUE, 0), EINVAL);
	guest_check_err(
		"rt_sigqueueinfo SI_USER to another pid",
		syscall(SYS_rt_sigqueueinfo, FAR_PID, SIGRTMIN, &(siginfo_t){ .si_code = SI_USER }),
		EPERM);
	guest_check_err("rt_tgsigqueueinfo tid 0",
			syscall(SYS_rt_tgsigqueueinfo, getpid(), 0, SIGRTMIN, &si), EINVAL);
	guest_check_err("rt_tgsigqueueinfo no such thread",
			syscall(SYS_rt_tgsigqueueinfo, getpid(), FAR_PID, SIGRTMIN, &si), ESRCH);
	guest_check_err("rt_sigqueueinfo bad pointer",
			syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, (void *)8), EFAULT);
	drain("queued by hand");
}

/* Take the signals left after test_rlimit's sendings and check them: the
 * standard one, the real-time one kill sent, then the `n` queued values in
 * order. */
static int drain_rlimit(int n)
{
	sigset_t set;
	siginfo_t si;
	struct timespec zero = { 0, 0 };
	int sig, i = 0, ok = 1;

	test_set(&set);
	ok &= sigtimedwait(&set, &si, &zero) == SIGUSR1 && si.si_code == SI_USER && si.si_pid;
	ok &= sigtimedwait(&set, &si, &zero) == SIGRTMIN + 3;
	while ((sig = sigtimedwait(&set, &si, &zero)) == SIGRTMIN + 3)
		; /* a tkill the host took while its count moved */
	for (; sig > 0; sig = sigtimedwait(&set, &si, &zero))
		ok &= sig == SIGRTMIN + 4 && si.si_code == SI_QUEUE && si.si_value.sival_int == i++;
	return ok && i == n;
}

/*
 * At most RT_LIMIT siginfos pending: sigqueue and tkill are refused beyond,
 * kill is not.  The host counts every pending signal of the user (root:
 * other processes', QEMU's among them), so fewer may be accepted there,
 * and the count may move: only bounds are printed, and tkill is tried
 * right after a refused sigqueue (again if the count moved in between).
 */
#define RT_LIMIT 256

static void test_rlimit(void)
{
	struct rlimit old, small;
	long r = 0;
	int n = 0;

	getrlimit(RLIMIT_SIGPENDING, &old);
	small = old;
	small.rlim_cur = RT_LIMIT;
	guest_check("setrlimit RLIMIT_SIGPENDING", setrlimit(RLIMIT_SIGPENDING, &small) == 0);
	for (int tries = 0; n <= RT_LIMIT && tries < 10;) {
		if (sigqueue(getpid(), SIGRTMIN + 4, (union sigval){ .sival_int = n }) == 0) {
			n++;
			continue;
		}
		if (errno != EAGAIN)
			break;
		tries++;
		r = syscall(SYS_tkill, gettid(), SIGRTMIN + 3);
		if (r == -1) /* both refused at the limit */
			break;
	}
	guest_check_err("at the limit: sigqueue and tkill refused", r, EAGAIN);
	guest_check("sigqueue accepted 1 to the limit", n >= 1 && n <= RT_LIMIT);
	guest_check_err("kill over the limit", kill(getpid(), SIGRTMIN + 3), 0);
	guest_check_err("standard signal over the limit", kill(getpid(), SIGUSR1), 0);
	guest_check("over the limit: kill's arrive, the queued in order", drain_rlimit(n));
	setrlimit(RLIMIT_SIGPENDING, &old);
}

static int pending(int sig)
{
	sigset_t set;

	sigpending(&set);
	return sigismember(&set, sig);
}

static void test_ignore(void)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, dfl = { .sa_handler = SIG_DFL };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	queue(SIGRTMIN + 2, 1);
	queue(SIGRTMIN + 2, 2);
	raise(SIGUSR2);
	raise(SIGWINCH);
	guest_check("blocked: pending",
		    pending(SIGRTMIN + 2) && pending(SIGUSR2) && pending(SIGWINCH));
	sigaction(SIGRTMIN + 2, &ign, NULL);
	sigaction(SIGUSR2, &ign, NULL);
	sigaction(SIGWINCH, &dfl, NULL);
	guest_check("SIG_IGN discards pending signals",
		    !pending(SIGRTMIN + 2) && !pending(SIGUSR2));
	guest_check("SIG_DFL discards a pending SIGWINCH", !pending(SIGWINCH));
	raise(SIGUSR2);
	guest_check("ignored but blocked: kept pending", pending(SIGUSR2));
	sigaction(SIGUSR2, &dfl, NULL);
	guest_check("SIG_DFL of SIGUSR2 keeps it", pending(SIGUSR2));
	sigaction(SIGUSR2, &ign, NULL);
	drain("after ignoring");
}

int main(void)
{
	sigset_t set;

	test_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	test_queueing();
	test_handlers();
	test_sigqueueinfo();
	test_rlimit();
	test_ignore();
	return guest_finish();
}
