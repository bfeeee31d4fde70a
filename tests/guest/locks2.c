/*
 * Guest test, area files (locks between processes): POSIX record locks
 * conflict between a parent and its children (EAGAIN, F_GETLK naming the
 * holder), ranges split and merge, closing any descriptor of the file
 * drops the process's locks, a fork's child inherits none, F_SETLKW sleeps
 * until the holder unlocks, gives EDEADLK for a cycle and EINTR for a
 * signal; open-file-description locks (F_OFD_*) are inherited across fork;
 * flock conflicts between processes.  Prints no pids: "pid is the
 * parent's: yes".  Children report through their exit status.
 */
#include "guest.h"
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>

static char path[64];
static int fd; /* the parent's descriptor of the file */

static int lk(int f, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	return fcntl(f, cmd, &fl);
}

/* F_GETLK (or F_OFD_GETLK) of a write lock on [start, start + len) from
 * `f`: what is in the way, as "type start len". */
static struct flock getlk(int f, int cmd, off_t start, off_t len)
{
	struct flock fl = {
		.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len
	};

	if (fcntl(f, cmd, &fl))
		fl.l_type = -1;
	return fl;
}

/* Run `fn` in a child; its exit status (-1: it did not exit). */
static int in_child(int (*fn)(void))
{
	int pid, status;

	fflush(stdout);
	if (!(pid = fork())) {
		int r = fn();
		fflush(stdout);
		_exit(r);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int own_fd(void)
{
	return open(path, O_RDWR);
}

/* The child's view of the parent's write lock on [0, 100). */
static int child_sees_lock(void)
{
	int f = own_fd(), bad = 0;
	struct flock fl;

	bad |= (lk(f, F_SETLK, F_WRLCK, 0, 10) == 0 || errno != EAGAIN) << 0;
	fl = getlk(f, F_GETLK, 50, 10);
	bad |= (fl.l_type != F_WRLCK || fl.l_start != 0 || fl.l_len != 100) << 1;
	bad |= (fl.l_pid != getppid()) << 2;
	bad |= (lk(f, F_SETLK, F_RDLCK, 100, 10) != 0) << 3;
	/* the parent's lock is not the child's: unlocking it does nothing */
	bad |= (lk(fd, F_SETLK, F_UNLCK, 0, 100) != 0) << 4;
	return bad;
}

/* What a child's write lock on [start, start + len) meets. */
static void piece(int f, off_t start, off_t len)
{
	struct flock fl = getlk(f, F_GETLK, start, len);

	if (fl.l_type == F_UNLCK)
		printf(" free");
	else
		printf(" %s@%ld+%ld", fl.l_type == F_WRLCK ? "W" : "R", (long)fl.l_start,
		       (long)fl.l_len);
}

/* The child's view of [0, 100) in three pieces. */
static int child_pieces(void)
{
	int f = own_fd();

	piece(f, 0, 40);
	piece(f, 40, 20);
	piece(f, 60, 40);
	printf("\n");
	return 0;
}

static int child_free(void)
{
	return getlk(own_fd(), F_GETLK, 0, 0).l_type == F_UNLCK;
}

static int child_head_free(void)
{
	return getlk(own_fd(), F_GETLK, 0, 10).l_type == F_UNLCK;
}

static void test_posix(void)
{
	struct flock fl;
	int b;

	guest_check("parent write-locks [0,100)", lk(fd, F_SETLK, F_WRLCK, 0, 100) == 0);
	b = in_child(child_sees_lock);
	guest_check("child: EAGAIN, F_GETLK range, read lock beside it", b >= 0 && !(b & 0x1b));
	printf("F_GETLK pid is the parent's: %s\n", b >= 0 && !(b & 4) ? "yes" : "no");
	guest_check("unlock the middle", lk(fd, F_SETLK, F_UNLCK, 40, 20) == 0);
	printf("after a split:");
	in_child(child_pieces);
	guest_check("lock the middle again", lk(fd, F_SETLK, F_WRLCK, 40, 20) == 0);
	printf("after a merge:");
	in_child(child_pieces);
	guest_check("a read lock over part converts it", lk(fd, F_SETLK, F_RDLCK, 60, 40) == 0);
	printf("after a conversion:");
	in_child(child_pieces);
	b = open(path, O_RDONLY);
	close(b);
	printf("closing another fd of the file frees it: %s\n",
	       in_child(child_free) == 1 ? "yes" : "no");
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = 7 };
	guest_check_err("bad whence", fcntl(fd, F_SETLK, &fl), EINVAL);
	fl = (struct flock){ .l_type = F_UNLCK, .l_whence = SEEK_SET };
	guest_check_err("F_GETLK of F_UNLCK", fcntl(fd, F_GETLK, &fl), EINVAL);
	guest_check_err("a range before 0", lk(fd, F_SETLK, F_WRLCK, 5, -10), EINVAL);
	guest_check("a negative length", lk(fd, F_SETLK, F_WRLCK, 10, -10) == 0);
	guest_check("unlock all", lk(fd, F_SETLK, F_UNLCK, 0, 0) == 0);
}

/* Wait until process (or thread: "self/task/TID") `who` sleeps (it is then
 * blocked in its one wait). */
static void wait_sleeping_at(const char *who)
{
	char p[64], buf[4096];

	snprintf(p, sizeof(p), "/proc/%s/stat", who);
	for (int i = 0; i < 5000; i++) {
		int f = open(p, O_RDONLY);
		ssize_t n = f >= 0 ? read(f, buf, sizeof(buf) - 1) : -1;
		char *r = n > 0 ? (buf[n] = 0, strrchr(buf, ')')) : NULL;
		if (f >= 0)
			close(f);
		if (r && r[2] == 'S')
			return;
		usleep(1000);
	}
}

static void wait_sleeping(int pid)
{
	char who[16];

	snprintf(who, sizeof(who), "%d", pid);
	wait_sleeping_at(who);
}

static int race_fd;
static volatile int race_tid;

/* F_SETLKW on race_fd, from a second thread. */
static void *race_waiter(void *arg)
{
	race_tid = (int)syscall(SYS_gettid);
	*(int *)arg = lk(race_fd, F_SETLKW, F_WRLCK, 0, 10) ? errno : 0;
	return NULL;
}

static int child_holds_until_told(int in, int out)
{
	char c;

	return lk(own_fd(), F_SETLK, F_WRLCK, 0, 10) || write(out, "h", 1) != 1 ||
	       read(in, &c, 1) != 1;
}

/* A thread waits in F_SETLKW while another closes the descriptor: the
 * lock it then gets is dropped at once, and the call says EBADF. */
static void test_close_race(void)
{
	int up[2], down[2], pid, err = -1;
	char c, who[32];
	pthread_t th;

	guest_check("pipes", pipe(up) == 0 && pipe(down) == 0);
	fflush(stdout);
	if (!(pid = fork()))
		_exit(child_holds_until_told(down[0], up[1]));
	guest_check("the child holds [0,10)", read(up[0], &c, 1) == 1);
	race_fd = own_fd();
	guest_check("a thread waits", pthread_create(&th, NULL, race_waiter, &err) == 0);
	while (!race_tid)
		usleep(1000);
	snprintf(who, sizeof(who), "self/task/%d", race_tid);
	wait_sleeping_at(who);
	close(race_fd);
	guest_check("the child lets go",
		    write(down[1], "g", 1) == 1 && waitpid(pid, NULL, 0) == pid);
	pthread_join(th, NULL);
	printf("F_SETLKW across a close: %s\n", guest_errname(err));
	printf("its lock is gone: %s\n", in_child(child_head_free) == 1 ? "yes" : "no");
	close(up[0]), close(up[1]), close(down[0]), close(down[1]);
}

static void test_wait(void)
{
	int up[2], pid, status;
	char c;

	guest_check("pipe", pipe(up) == 0);
	guest_check("parent locks [0,10)", lk(fd, F_SETLK, F_WRLCK, 0, 10) == 0);
	fflush(stdout);
	if (!(pid = fork())) {
		int f = own_fd();
		/* holds [20,30), then waits for the parent's [0,10) */
		if (lk(f, F_SETLK, F_WRLCK, 20, 10) || write(up[1], "r", 1) != 1)
			_exit(1);
		if (lk(f, F_SETLKW, F_WRLCK, 0, 10))
			_exit(2);
		_exit(write(up[1], "g", 1) == 1 ? 0 : 3);
	}
	guest_check("child holds [20,30)", read(up[0], &c, 1) == 1 && c == 'r');
	wait_sleeping(pid);
	guest_check_err("a cycle", lk(fd, F_SETLKW, F_WRLCK, 20, 10), EDEADLK);
	guest_check("unlock [0,10)", lk(fd, F_SETLK, F_UNLCK, 0, 10) == 0);
	guest_check("the waiting child got it", read(up[0], &c, 1) == 1 && c == 'g');
	guest_check("child's exit", waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
					    WEXITSTATUS(status) == 0);
	guest_check("its exit freed its locks", lk(fd, F_SETLK, F_WRLCK, 0, 100) == 0);
	close(up[0]);
	close(up[1]);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static int child_interrupted(void)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	struct itimerval it = { .it_value = { .tv_usec = 100000 } };

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	return lk(own_fd(), F_SETLKW, F_WRLCK, 0, 10) == -1 && errno == EINTR;
}

static int child_ofd(void)
{
	int f = own_fd(), bad = 0;
	struct flock fl;

	bad |= (lk(fd, F_OFD_SETLK, F_WRLCK, 200, 10) != 0) << 0; /* inherited: its own */
	bad |= (lk(f, F_OFD_SETLK, F_WRLCK, 200, 10) == 0 || errno != EAGAIN) << 1;
	fl = getlk(f, F_OFD_GETLK, 200, 1);
	bad |= (fl.l_type != F_WRLCK || fl.l_pid != -1) << 2;
	fl = getlk(f, F_GETLK, 205, 1);
	bad |= (fl.l_type != F_WRLCK || fl.l_pid != -1) << 3;
	bad |= (lk(f, F_SETLK, F_RDLCK, 200, 1) == 0 || errno != EAGAIN) << 4;
	fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_pid = 1 };
	bad |= (fcntl(f, F_OFD_SETLK, &fl) == 0 || errno != EINVAL) << 5;
	bad |= (flock(f, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK) << 6;
	bad |= (flock(fd, LOCK_EX | LOCK_NB) != 0) << 7; /* the same open file */
	/* flock and record locks never meet: the parent's flock is no bar */
	bad |= (lk(f, F_SETLK, F_WRLCK, 0, 10) != 0) << 8;
	return bad ? 1 + __builtin_ctz(bad) : 0; /* the first check that failed */
}

/* A child's blocking flock waits for the parent's LOCK_UN. */
static void test_flock_wait(void)
{
	int pid, status;

	fflush(stdout);
	if (!(pid = fork()))
		_exit(flock(own_fd(), LOCK_EX) == 0 ? 0 : 1);
	wait_sleeping(pid);
	guest_check("the child still waits", waitpid(pid, &status, WNOHANG) == 0);
	guest_check("LOCK_UN", flock(fd, LOCK_UN) == 0);
	guest_check("the child got the flock", waitpid(pid, &status, 0) == pid &&
						       WIFEXITED(status) &&
						       WEXITSTATUS(status) == 0);
}

/* Shared flocks of many open files at once (was at most 8: ENOLCK). */
static void test_many_shared(void)
{
	int fds[12], ok = 1;

	for (int i = 0; i < 12; i++)
		ok &= (fds[i] = own_fd()) >= 0 && flock(fds[i], LOCK_SH | LOCK_NB) == 0;
	guest_check("twelve shared flocks", ok);
	guest_check_err("and no exclusive one", flock(fd, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	for (int i = 0; i < 12; i++)
		close(fds[i]);
}

int main(void)
{
	char dir[] = "/tmp/monos-locks2-XXXXXX";
	int b, o;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	guest_check("open", fd >= 0);
	test_posix();
	test_wait();
	printf("F_SETLKW ends with EINTR on a signal: %s\n",
	       in_child(child_interrupted) == 1 ? "yes" : "no");
	guest_check("unlock", lk(fd, F_SETLK, F_UNLCK, 0, 0) == 0);

	guest_check("OFD lock", lk(fd, F_OFD_SETLK, F_WRLCK, 200, 10) == 0);
	guest_check("flock", flock(fd, LOCK_EX) == 0);
	o = open(path, O_RDONLY);
	close(o); /* an OFD lock is not the process's: this close keeps it */
	b = in_child(child_ofd);
	printf("OFD and flock between processes: %s (%d)\n", b == 0 ? "ok" : "BAD", b);
	test_flock_wait();
	test_many_shared();
	test_close_race();
	close(fd);
	unlink(path);
	rmdir(dir);
	return guest_bad != 0;
}
