/*
 * execve: the program runs itself again (through /proc/self/exe) in
 * another mode, given as argv[1].  What survives an exec and what does not
 * (O_CLOEXEC, handled and ignored signals, the mask, pid, ppid,
 * environment), exec from a vfork child and posix_spawn, execveat on a
 * descriptor, '#!' scripts (with an argument, nested, and too deep), the
 * errors (ENOENT, EACCES, ENOEXEC, ELOOP), an exec while another thread
 * runs, and a pipeline of three processes.
 */
#include "guest.h"
#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define SELF "/proc/self/exe"

extern char **environ;

/* ---------------------------------------------- modes of the new image */

static int mode_inherit(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t mask;
	int fd_keep = atoi(argv[2]), fd_close = atoi(argv[3]);

	guest_check("fd without O_CLOEXEC stays open", fcntl(fd_keep, F_GETFD) == 0);
	guest_check("fd with O_CLOEXEC is closed",
		    fcntl(fd_close, F_GETFD) == -1 && errno == EBADF);
	sigaction(SIGUSR1, NULL, &sa);
	guest_check("ignored signal stays ignored", sa.sa_handler == SIG_IGN);
	sigaction(SIGUSR2, NULL, &sa);
	guest_check("handled signal is back to SIG_DFL", sa.sa_handler == SIG_DFL);
	sigprocmask(SIG_BLOCK, NULL, &mask);
	guest_check("the mask stays", sigismember(&mask, SIGHUP) == 1);
	guest_check("same pid", getpid() == atoi(argv[4]));
	guest_check("same parent", getppid() == atoi(argv[5]));
	const char *v = getenv("EXEC_TEST");
	printf("env EXEC_TEST=%s, argc %d\n", v ? v : "(unset)", argc);
	return guest_bad;
}

static int mode_args(int argc, char **argv)
{
	printf("args:");
	for (int i = 1; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\n");
	return 0;
}

static int mode_exit(int argc, char **argv)
{
	return argc > 2 ? atoi(argv[2]) : 0;
}

static int mode_upper(void)
{
	int c;

	while ((c = getchar()) != EOF)
		putchar(toupper(c));
	return 0;
}

static int mode_count(void)
{
	int c, lines = 0, chars = 0;

	while ((c = getchar()) != EOF) {
		chars++;
		lines += c == '\n';
	}
	printf("pipeline: %d lines, %d chars\n", lines, chars);
	return 0;
}

/* ------------------------------------------------------------- checks */

/* Run `path` with `argv` in a child: its exit status (128 + a signal). */
static int run(const char *path, char *const argv[])
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0) {
		execve(path, argv, environ);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void on_usr2(int sig)
{
	(void)sig;
}

static void inherit(void)
{
	char keep[16], close_[16], pid[16], ppid[16];
	int a = open("/dev/null", O_RDONLY), b = open("/dev/null", O_RDONLY | O_CLOEXEC), st;
	struct sigaction sa = { .sa_handler = on_usr2 };
	sigset_t mask;

	snprintf(keep, sizeof(keep), "%d", a);
	snprintf(close_, sizeof(close_), "%d", b);
	pid_t child = fork();
	if (child == 0) {
		char *argv[] = { "exec", "inherit", keep, close_, pid, ppid, NULL };
		char *envp[] = { "EXEC_TEST=yes", NULL };
		snprintf(pid, sizeof(pid), "%d", getpid());
		snprintf(ppid, sizeof(ppid), "%d", getppid());
		signal(SIGUSR1, SIG_IGN);
		sigaction(SIGUSR2, &sa, NULL);
		sigemptyset(&mask);
		sigaddset(&mask, SIGHUP);
		sigprocmask(SIG_BLOCK, &mask, NULL);
		execve(SELF, argv, envp);
		_exit(127);
	}
	waitpid(child, &st, 0);
	guest_check("the new image ran and passed", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(a);
	close(b);
}

static void statuses(void)
{
	char *a[] = { "exec", "exit", "7", NULL };
	printf("exit status through exec: %d\n", run(SELF, a));

	int st = -1;
	pid_t pid = vfork();
	if (pid == 0) {
		execve(SELF, a, environ);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	printf("vfork + exec: %d\n", WEXITSTATUS(st));

	char *b[] = { "exec", "exit", "9", NULL };
	int r = posix_spawn(&pid, SELF, NULL, NULL, b, environ);
	waitpid(pid, &st, 0);
	printf("posix_spawn: r %d status %d\n", r, WEXITSTATUS(st));
	r = posix_spawn(&pid, "/nonexistent", NULL, NULL, b, environ);
	printf("posix_spawn of a missing file: %s\n", guest_errname(r));

	pid = fork();
	if (pid == 0) {
		int fd = open(SELF, O_RDONLY | O_CLOEXEC);
		syscall(SYS_execveat, fd, "", a, environ, AT_EMPTY_PATH);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	printf("execveat(fd, \"\", AT_EMPTY_PATH): %d\n", WEXITSTATUS(st));
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	write(fd, text, strlen(text));
	close(fd);
	chmod(path, mode);
}

/* An exec that must fail: the errno it gives. */
static const char *exec_err(const char *path)
{
	char *argv[] = { (char *)path, NULL };
	int p[2], err = 0;
	pid_t pid;

	if (pipe(p))
		return "pipe";
	pid = fork();
	if (pid == 0) {
		execve(path, argv, environ);
		err = errno;
		write(p[1], &err, sizeof(err));
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &err, sizeof(err)) != sizeof(err))
		err = -1;
	close(p[0]);
	waitpid(pid, NULL, 0);
	return err < 0 ? "it ran" : guest_errname(err);
}

static void scripts(void)
{
	char *a[] = { "/tmp/exec-s1", "one", "two", NULL };
	char *b[] = { "/tmp/exec-deep1", NULL };

	write_file("/tmp/exec-s1", "#!" SELF " args\n", 0755);
	printf("script: ");
	fflush(stdout);
	printf("status %d\n", run(a[0], a));
	/* Blanks around the interpreter and its one argument, which keeps
	 * its inner blanks; a script as interpreter of a script. */
	write_file("/tmp/exec-s2", "#! \t" SELF "   args  with blanks  \n", 0755);
	write_file("/tmp/exec-s3", "#!/tmp/exec-s2 more\nignored\n", 0755);
	char *c[] = { "/tmp/exec-s3", "x", NULL };
	printf("nested: ");
	fflush(stdout);
	printf("status %d\n", run(c[0], c));
	/* Five scripts deep run; six are too many (ELOOP). */
	for (int i = 1; i <= 6; i++) {
		char path[32], text[64];
		snprintf(path, sizeof(path), "/tmp/exec-deep%d", i);
		if (i < 6)
			snprintf(text, sizeof(text), "#!/tmp/exec-deep%d\n", i + 1);
		else
			snprintf(text, sizeof(text), "#!" SELF " exit\n");
		write_file(path, text, 0755);
	}
	printf("six levels: %s\n", exec_err("/tmp/exec-deep1"));
	printf("five levels: status %d\n",
	       run("/tmp/exec-deep2", (char *[]){ "/tmp/exec-deep2", NULL }));
	(void)b;
	write_file("/tmp/exec-noint", "#!/nonexistent/interp\n", 0755);
	printf("missing interpreter: %s\n", exec_err("/tmp/exec-noint"));
	write_file("/tmp/exec-empty", "#!\n", 0755);
	printf("empty #! line: %s\n", exec_err("/tmp/exec-empty"));
}

static void errors(void)
{
	/* An ELF header for another machine (AArch64, e_machine 183). */
	static const unsigned char arm[64] = { 0x7f, 'E',      'L', 'F', 2, 1, 1,
					       0,    [16] = 2, 0,   183, 0, 1 };
	int fd;

	printf("missing: %s\n", exec_err("/nonexistent"));
	printf("directory: %s\n", exec_err("/tmp"));
	write_file("/tmp/exec-noexec", "#!/bin/sh\n", 0644);
	printf("not executable: %s\n", exec_err("/tmp/exec-noexec"));
	write_file("/tmp/exec-garbage", "this is not a program\n", 0755);
	printf("garbage: %s\n", exec_err("/tmp/exec-garbage"));
	fd = open("/tmp/exec-arm", O_WRONLY | O_CREAT | O_TRUNC, 0755);
	write(fd, arm, sizeof(arm));
	close(fd);
	printf("another machine's ELF: %s\n", exec_err("/tmp/exec-arm"));
	printf("a path through a file: %s\n", exec_err("/tmp/exec-arm/x"));
	errno = 0;
	long r = syscall(SYS_execve, SELF, (char **)8, NULL);
	printf("bad argv pointer: %ld %s\n", r, guest_errname(errno));
}

static void *spin(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void threaded(void)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		pthread_t t;
		char *a[] = { "exec", "exit", "5", NULL };
		pthread_create(&t, NULL, spin, NULL);
		execve(SELF, a, environ);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	printf("exec with another thread running: %d\n", WEXITSTATUS(st));
}

/* gen | exec upper | exec count, each its own process. */
static void pipeline(void)
{
	int p1[2], p2[2], st;

	if (pipe(p1) || pipe(p2))
		return;
	pid_t a = fork();
	if (a == 0) {
		dup2(p1[1], 1);
		close(p1[0]), close(p1[1]), close(p2[0]), close(p2[1]);
		for (int i = 0; i < 100; i++)
			printf("line %d\n", i);
		fflush(stdout);
		_exit(0);
	}
	pid_t b = fork();
	if (b == 0) {
		dup2(p1[0], 0);
		dup2(p2[1], 1);
		close(p1[0]), close(p1[1]), close(p2[0]), close(p2[1]);
		execve(SELF, (char *[]){ "exec", "upper", NULL }, environ);
		_exit(127);
	}
	pid_t c = fork();
	if (c == 0) {
		dup2(p2[0], 0);
		close(p1[0]), close(p1[1]), close(p2[0]), close(p2[1]);
		execve(SELF, (char *[]){ "exec", "count", NULL }, environ);
		_exit(127);
	}
	close(p1[0]), close(p1[1]), close(p2[0]), close(p2[1]);
	int bad = 0;
	for (int i = 0; i < 3; i++) {
		pid_t w = wait(&st);
		bad |= w < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	guest_check("three processes all ended well", !bad);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && !strcmp(argv[1], "inherit"))
		return mode_inherit(argc, argv);
	if (argc > 1 && !strncmp(argv[1], "args", 4))
		return mode_args(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "exit"))
		return mode_exit(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "upper"))
		return mode_upper();
	if (argc > 1 && !strcmp(argv[1], "count"))
		return mode_count();
	if (argc > 1) /* never the whole test again: no fork bomb from a bug */
		return 99;
	inherit();
	statuses();
	scripts();
	errors();
	threaded();
	pipeline();
	return guest_bad;
}
