/*
 * fork and wait: exit codes and signals as wait4 and waitid report them,
 * WNOHANG, ECHILD, getppid, copy-on-write isolation of data, heap and stack
 * both ways, MAP_SHARED memory that stays shared, pipes shared across fork
 * (EOF only when every writer is gone), SIGCHLD with a handler and with
 * SIG_IGN (no zombies), orphans going to a subreaper, process groups and
 * kill(-pgid), and a child that faults dying alone.
 */
#include "guest.h"
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

static int global = 1;

/* Fork a child that runs fn(arg) and exits with its result. */
static pid_t spawn(int (*fn)(long), long arg)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

static int exit_with(long code)
{
	return (int)code;
}

static int die_of(long sig)
{
	kill(getpid(), (int)sig);
	return 100; /* not reached */
}

static int segv(long unused)
{
	(void)unused;
	volatile int *volatile bad = (int *)16;
	*bad = 1;
	return 101;
}

static void exits(void)
{
	static const int codes[] = { 0, 1, 42, 255, 256 + 3 };

	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		int st = -1;
		pid_t pid = spawn(exit_with, codes[i]), w = waitpid(pid, &st, 0);
		printf("exit %d: waited %s, exited %d status %d\n", codes[i],
		       w == pid ? "it" : "other", WIFEXITED(st), WEXITSTATUS(st));
	}
	int sigs[] = { SIGTERM, SIGKILL, SIGUSR1 };
	for (unsigned i = 0; i < 3; i++) {
		int st = -1;
		pid_t pid = spawn(die_of, sigs[i]);
		waitpid(pid, &st, 0);
		printf("signal %d: signaled %d sig %d\n", sigs[i], WIFSIGNALED(st), WTERMSIG(st));
	}
	int st = -1;
	pid_t pid = spawn(segv, 0);
	waitpid(pid, &st, 0);
	printf("fault: signaled %d sig %d\n", WIFSIGNALED(st), WTERMSIG(st));

	siginfo_t si;
	memset(&si, 0, sizeof(si));
	pid = spawn(exit_with, 9);
	int r = waitid(P_PID, pid, &si, WEXITED);
	printf("waitid: r %d signo %d code %d status %d pid %s\n", r, si.si_signo, si.si_code,
	       si.si_status, si.si_pid == pid ? "it" : "other");
	pid = spawn(die_of, SIGTERM);
	memset(&si, 0, sizeof(si));
	waitid(P_ALL, 0, &si, WEXITED | WNOWAIT);
	printf("waitid nowait: code %d status %d\n", si.si_code, si.si_status);
	memset(&si, 0, sizeof(si));
	waitid(P_PID, pid, &si, WEXITED);
	printf("waitid again: code %d status %d\n", si.si_code, si.si_status);
	guest_check("no child left: ECHILD", waitpid(-1, &st, 0) == -1 && errno == ECHILD);
	guest_check("waitid bad options: EINVAL",
		    waitid(P_ALL, 0, &si, WNOHANG) == -1 && errno == EINVAL);
}

static void nohang(void)
{
	int p[2], st = -1;
	char c;

	if (pipe(p))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 ? c : 99);
	}
	close(p[0]);
	guest_check("WNOHANG while it runs: 0", waitpid(pid, &st, WNOHANG) == 0);
	siginfo_t si = { .si_pid = 77 };
	guest_check("waitid WNOHANG while it runs: 0, si_pid 0",
		    waitid(P_PID, pid, &si, WEXITED | WNOHANG) == 0 && si.si_pid == 0);
	write(p[1], "\x05", 1);
	close(p[1]);
	guest_check("then it is reaped", waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 5);
	guest_check("waitpid of a pid not ours: ECHILD",
		    waitpid(1, &st, WNOHANG) == -1 && errno == ECHILD);
}

static void ppid(void)
{
	int st;
	pid_t me = getpid(), pid = fork();

	if (pid == 0)
		_exit(getppid() == me && getpid() != me ? 0 : 1);
	waitpid(pid, &st, 0);
	guest_check("child's getppid is the parent", WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void cow(void)
{
	int p[2], q[2], st;
	char stack[64] = "parent-stack";
	char *heap = malloc(1 << 20);
	int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char c;

	if (!heap || shared == MAP_FAILED || pipe(p) || pipe(q))
		return;
	memset(heap, 'p', 1 << 20);
	*shared = 1;
	global = 1;
	pid_t pid = fork();
	if (pid == 0) {
		int bad = 0;
		global = 2;
		strcpy(stack, "child-stack");
		memset(heap, 'c', 1 << 20);
		*shared = 2;
		write(p[1], "x", 1); /* the parent looks, then writes its own */
		read(q[0], &c, 1);
		bad |= global != 2;
		bad |= strcmp(stack, "child-stack") != 0;
		bad |= heap[12345] != 'c';
		bad |= *shared != 3; /* the parent's write reaches us */
		_exit(bad);
	}
	read(p[0], &c, 1);
	guest_check("child's write to data invisible", global == 1);
	guest_check("child's write to the stack invisible", strcmp(stack, "parent-stack") == 0);
	guest_check("child's write to the heap invisible",
		    heap[0] == 'p' && heap[(1 << 20) - 1] == 'p');
	guest_check("MAP_SHARED: child's write seen", *shared == 2);
	global = 3;
	strcpy(stack, "parent-again");
	heap[12345] = 'P';
	*shared = 3;
	write(q[1], "y", 1);
	waitpid(pid, &st, 0);
	guest_check("parent's writes invisible to the child, MAP_SHARED seen",
		    WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(heap);
	munmap(shared, 4096);
}

static void pipes(void)
{
	int p[2], st;
	char buf[16];

	if (pipe(p))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		write(p[1], "hello", 5);
		_exit(0);
	}
	close(p[1]);
	ssize_t n = read(p[0], buf, sizeof(buf));
	guest_check("data from the child", n == 5 && memcmp(buf, "hello", 5) == 0);
	guest_check("EOF once the child's end is gone", read(p[0], buf, sizeof(buf)) == 0);
	close(p[0]);
	waitpid(pid, &st, 0);
}

static volatile sig_atomic_t chld;

static void on_chld(int sig)
{
	(void)sig;
	chld++;
}

static void sigchld(void)
{
	struct sigaction sa = { .sa_handler = on_chld, .sa_flags = SA_RESTART };
	int st;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	pid_t pid = spawn(exit_with, 3);
	while (!chld)
		pause();
	guest_check("SIGCHLD handler ran", chld == 1);
	guest_check("and the zombie waits to be reaped", waitpid(pid, &st, 0) == pid);
	signal(SIGCHLD, SIG_IGN);
	pid = spawn(exit_with, 4);
	/* With SIGCHLD ignored no zombie stays: wait blocks until the child is
	 * gone, then finds none. */
	guest_check("SIG_IGN: no zombie (ECHILD)", waitpid(pid, &st, 0) == -1 && errno == ECHILD);
	signal(SIGCHLD, SIG_DFL);
}

static void orphans(void)
{
	int p[2], q[2], st;
	pid_t me = getpid(), grand = 0;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (pipe(p) || pipe(q))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0) {
			char c;
			close(q[1]);
			read(q[0], &c, 1); /* EOF once its parent is gone */
			_exit(getppid() == me ? 0 : 1);
		}
		write(p[1], &g, sizeof(g));
		_exit(0);
	}
	close(p[1]);
	read(p[0], &grand, sizeof(grand));
	waitpid(pid, &st, 0);
	close(q[1]);
	close(q[0]);
	close(p[0]);
	pid_t w = waitpid(grand, &st, 0);
	guest_check("orphan reparented to the subreaper and reaped by it",
		    w == grand && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* PR_SET_PDEATHSIG: the grandchild asks for SIGTERM when its parent dies;
 * the parent exits, the grandchild dies of it and comes to us (subreaper). */
static void pdeathsig(void)
{
	int p[2], st;
	pid_t grand = 0;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (pipe(p))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			write(p[1], "r", 1); /* armed: the parent may go */
			for (;;)
				pause();
		}
		char c;
		read(p[0], &c, 1);
		write(p[1], &g, sizeof(g));
		_exit(0);
	}
	waitpid(pid, &st, 0);
	read(p[0], &grand, sizeof(grand));
	guest_check("PR_SET_PDEATHSIG: the orphan died of its signal",
		    waitpid(grand, &st, 0) == grand && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	close(p[0]);
	close(p[1]);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

static void *idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* fork in a process of two threads: only the caller goes on in the child
 * (/proc/self/status says Threads: 1). */
static void fork_threaded(void)
{
	pthread_t t;
	int st;

	if (pthread_create(&t, NULL, idle_thread, NULL))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char line[256];
		int threads = -1;
		FILE *f = fopen("/proc/self/status", "r");
		while (f && fgets(line, sizeof(line), f))
			sscanf(line, "Threads: %d", &threads);
		_exit(threads == 1 ? 0 : 1);
	}
	guest_check("fork of a threaded process: one thread in the child",
		    waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static int sleeper(long unused)
{
	(void)unused;
	for (;;)
		pause();
	return 0;
}

static void groups(void)
{
	int st1, st2;
	pid_t a = spawn(sleeper, 0), b = spawn(sleeper, 0);

	guest_check("setpgid(a, a)", setpgid(a, a) == 0);
	guest_check("setpgid(b, a)", setpgid(b, a) == 0);
	guest_check("getpgid(b) == a", getpgid(b) == a);
	guest_check("kill(-a, SIGTERM)", kill(-a, SIGTERM) == 0);
	waitpid(a, &st1, 0);
	waitpid(b, &st2, 0);
	guest_check("both died of it", WIFSIGNALED(st1) && WTERMSIG(st1) == SIGTERM &&
					       WIFSIGNALED(st2) && WTERMSIG(st2) == SIGTERM);
	guest_check("kill of a group that is gone: ESRCH",
		    kill(-a, SIGTERM) == -1 && errno == ESRCH);
	guest_check("setpgid of a reaped child: ESRCH", setpgid(a, 0) == -1 && errno == ESRCH);

	/* kill(0): the caller's own group, the caller included: a child that
	 * leads a group of its own and a grandchild in it. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, 0);
		if (fork() == 0)
			sleeper(0);
		kill(0, SIGTERM);
		_exit(1);
	}
	waitpid(c, &st1, 0);
	guest_check("kill(0) reached the caller", WIFSIGNALED(st1) && WTERMSIG(st1) == SIGTERM);
	guest_check("and its group (the orphan comes to us)",
		    waitpid(-c, &st2, 0) > 0 && WIFSIGNALED(st2) && WTERMSIG(st2) == SIGTERM);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

static void rusage(void)
{
	struct rusage ru;
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		volatile unsigned long x = 0;
		for (unsigned long i = 0; i < 20000000; i++)
			x += i;
		_exit(0);
	}
	guest_check("wait4 with rusage", wait4(pid, &st, 0, &ru) == pid);
	getrusage(RUSAGE_CHILDREN, &ru);
	guest_check("RUSAGE_CHILDREN counts the child",
		    ru.ru_utime.tv_sec + ru.ru_stime.tv_sec > 0 ||
			    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec > 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	exits();
	nohang();
	ppid();
	cow();
	pipes();
	sigchld();
	orphans();
	groups();
	rusage();
	pdeathsig();
	fork_threaded();
	return guest_bad;
}
