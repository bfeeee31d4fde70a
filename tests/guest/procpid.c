/*
 * /proc/PID of another process: a child re-execs this program with its own
 * argv and environment, moves to /tmp and opens a file at fd 9, then
 * sleeps in read; the parent reads the child's cmdline, environ, status,
 * stat, exe, cwd, fd/, fdinfo/ and maps, then lets it end and sees it as a
 * zombie (State Z, empty cmdline) and gone once reaped.  Prints no pids:
 * "pid is the child's: yes".  Run with an unknown argument it refuses, so
 * it can never fork without bound.
 */
#include "guest.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#define CHILD_FD  9
#define CHILD_ARG "child"

static char buf[65536];

/* The whole of file `path` into buf (NUL-terminated); its length or -1. */
static ssize_t slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, len = 0;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	return len;
}

static const char *field(const char *key);

/* Read `path` until its "State:" line starts with `state` (the child's
 * state changes a moment after it signals); the last State value. */
static const char *wait_state(const char *path, char state)
{
	const char *v = NULL;

	for (int i = 0; i < 2000; i++) {
		if (slurp(path) > 0 && (v = field("State:\t")) && *v == state)
			break;
		usleep(1000);
	}
	return v;
}

/* The value after "key" at the start of a line of buf, or NULL. */
static const char *field(const char *key)
{
	size_t klen = strlen(key);

	for (const char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, klen))
			return l + klen;
	return NULL;
}

static void on_usr2(int sig)
{
	(void)sig;
}

static int child(void)
{
	char c = 'n', self[32], want[32];
	int fd = open("/tmp/procpid.file", O_CREAT | O_RDWR | O_TRUNC, 0600);
	ssize_t n;

	if (fd < 0 || dup2(fd, CHILD_FD) < 0 || chdir("/tmp"))
		return 3;
	signal(SIGUSR1, SIG_IGN); /* for status's SigIgn and SigCgt */
	signal(SIGUSR2, on_usr2);
	close(fd);
	/* /proc/self is the caller's own directory in every process. */
	snprintf(want, sizeof(want), "%d", getpid());
	n = readlink("/proc/self", self, sizeof(self) - 1);
	if (n > 0 && (self[n] = 0, !strcmp(self, want)))
		c = 'y';
	if (write(4, &c, 1) != 1)
		return 4;
	while (read(3, &c, 1) > 0) /* until the parent closes its end */
		;
	return 7;
}

static void check_link(const char *path, const char *want, const char *what)
{
	char got[4096];
	ssize_t n = readlink(path, got, sizeof(got) - 1);

	if (n >= 0)
		got[n] = 0;
	guest_check(what, n > 0 && !strcmp(got, want));
}

static void check_live(int pid, const char *exe)
{
	char path[64], want[64];
	static const char cmdline[] = "procpid\0" CHILD_ARG, environ[] = "PROCPID=1";
	const char *v;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	n = slurp(path);
	guest_check("cmdline is the child's argv",
		    n == sizeof(cmdline) && !memcmp(buf, cmdline, sizeof(cmdline)));
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	n = slurp(path);
	guest_check("environ is the child's", n == sizeof(environ) && !strcmp(buf, environ));
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	v = wait_state(path, 'S');
	printf("state: %.1s\n", v ? v : "?");
	snprintf(want, sizeof(want), "%d\n", pid);
	printf("status pid is the child's: %s\n",
	       (v = field("Pid:\t")) && !strncmp(v, want, strlen(want)) ? "yes" : "no");
	snprintf(want, sizeof(want), "%d\n", getpid());
	printf("status ppid is the parent's: %s\n",
	       (v = field("PPid:\t")) && !strncmp(v, want, strlen(want)) ? "yes" : "no");
	v = field("Name:\t");
	printf("name: %.7s\n", v ? v : "none");
	guest_check("status has Uid and VmRSS", field("Uid:\t") && field("VmRSS:\t"));
	guest_check("SigIgn has SIGUSR1, SigCgt SIGUSR2",
		    field("SigIgn:\t") && (strtoull(field("SigIgn:\t"), NULL, 16) & 0x200) &&
			    field("SigCgt:\t") &&
			    (strtoull(field("SigCgt:\t"), NULL, 16) & 0x800) &&
			    !(strtoull(field("SigCgt:\t"), NULL, 16) & 0x200));
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	slurp(path);
	snprintf(want, sizeof(want), "%d (procpid) S %d ", pid, getpid());
	printf("stat pid, comm, state, ppid: %s\n",
	       !strncmp(buf, want, strlen(want)) ? "yes" : "no");
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	check_link(path, exe, "exe is the program");
	snprintf(path, sizeof(path), "/proc/%d/cwd", pid);
	check_link(path, "/tmp", "cwd is the child's");
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, CHILD_FD);
	check_link(path, "/tmp/procpid.file", "fd/9 is the child's file");
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, CHILD_FD);
	guest_check("fdinfo/9", slurp(path) > 0 && field("pos:\t0") && field("flags:\t"));
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	guest_check("maps has the stack and the program",
		    slurp(path) > 0 && strstr(buf, "[stack]") && strstr(buf, exe));
}

/* Whether /proc lists `pid`. */
static int listed(int pid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;

	while (d && (e = readdir(d)))
		found |= atoi(e->d_name) == pid;
	if (d)
		closedir(d);
	return found;
}

static void check_zombie(int pid)
{
	char path[64];
	const char *v;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	v = wait_state(path, 'Z'); /* its fds close before it is a zombie */
	printf("zombie state: %.1s\n", v ? v : "?");
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	guest_check("a zombie's cmdline is empty", slurp(path) == 0);
}

/* Entries of directory `path` named by a number; `want` among them. */
static int count_numbered(const char *path, int want, int *found)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		if (atoi(e->d_name) > 0)
			n++, *found |= atoi(e->d_name) == want;
	if (d)
		closedir(d);
	return n;
}

/* A second thread's view of /proc/thread-self and task/. */
static void *thread_main(void *arg)
{
	int tid = (int)syscall(SYS_gettid), found = 0, *bits = arg;
	char want[64], got[64], path[64];
	ssize_t n;

	snprintf(want, sizeof(want), "%d/task/%d", getpid(), tid);
	n = readlink("/proc/thread-self", got, sizeof(got) - 1);
	*bits |= (n > 0 && (got[n] = 0, !strcmp(got, want))) << 0;
	*bits |= (count_numbered("/proc/self/task", tid, &found) == 2 && found) << 1;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	snprintf(want, sizeof(want), "%d (procpid) R ", tid);
	*bits |= (slurp(path) > 0 && !strncmp(buf, want, strlen(want))) << 2;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", getpid(), tid);
	snprintf(want, sizeof(want), "%d\n", tid);
	*bits |= (slurp(path) > 0 && field("Pid:\t") &&
		  !strncmp(field("Pid:\t"), want, strlen(want)))
		 << 3;
	return NULL;
}

static void test_threads(void)
{
	int bits = 0, found = 0;
	pthread_t th;

	guest_check("pthread_create", pthread_create(&th, NULL, thread_main, &bits) == 0);
	pthread_join(th, NULL);
	printf("thread-self is the thread's: %s\n", bits & 1 ? "yes" : "no");
	printf("task lists both threads: %s\n", bits & 2 ? "yes" : "no");
	printf("task/TID/stat and status are the thread's: %s\n", (bits & 12) == 12 ? "yes" : "no");
	printf("task lists one thread after the join: %s\n",
	       count_numbered("/proc/self/task", getpid(), &found) == 1 && found ? "yes" : "no");
}

int main(int argc, char **argv)
{
	int up[2], down[2], pid, status;
	char exe[4096], c = 0;
	ssize_t n;

	if (argc == 2 && !strcmp(argv[1], CHILD_ARG))
		return child();
	if (argc != 1) {
		fprintf(stderr, "procpid: unknown argument\n");
		return 2;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || pipe(up) || pipe(down))
		return 1;
	exe[n] = 0;
	if (!(pid = fork())) {
		char *args[] = { "procpid", CHILD_ARG, NULL }, *env[] = { "PROCPID=1", NULL };
		dup2(up[1], 4);
		dup2(down[0], 3);
		for (int fd = 5; fd < 16; fd++)
			close(fd);
		execve(exe, args, env);
		_exit(5);
	}
	close(up[1]);
	close(down[0]);
	guest_check("child ran", read(up[0], &c, 1) == 1);
	printf("child's /proc/self is its own: %s\n", c == 'y' ? "yes" : "no");
	printf("/proc lists the child: %s\n", listed(pid) ? "yes" : "no");
	check_live(pid, exe);
	close(down[1]);
	guest_check("child's end", read(up[0], &c, 1) == 0);
	check_zombie(pid);
	guest_check("waitpid", waitpid(pid, &status, 0) == pid);
	printf("exit status: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	snprintf(exe, sizeof(exe), "/proc/%d", pid);
	guest_check_err("reaped: /proc/PID is gone", open(exe, O_RDONLY), ENOENT);
	unlink("/tmp/procpid.file");
	test_threads();
	return guest_bad != 0;
}
