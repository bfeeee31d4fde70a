/*
 * Guest test: closing a descriptor another thread is blocked on.  Linux
 * keeps the open file alive until the blocked call returns (fdget/fdput):
 * a read blocked on a pipe still gets the bytes written after the close,
 * and an accept blocked on a listening socket still takes the connection;
 * the descriptor number is free at once.  In monos the file once went away
 * under the blocked call.  Ordering is by a flag and a generous sleep: the
 * thread says it is about to block, the main thread waits, then closes.
 */
#include "guest.h"
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#define SETTLE_MS 300 /* long enough for the thread to be asleep in the call */

static atomic_int about_to_block;
static long result;
static int target_fd;
static char byte;

static void settle(void)
{
	struct timespec ts = { 0, SETTLE_MS * 1000000L };

	while (!atomic_load(&about_to_block))
		sched_yield();
	nanosleep(&ts, NULL);
}

static void *reader(void *arg)
{
	(void)arg;
	atomic_store(&about_to_block, 1);
	result = read(target_fd, &byte, 1);
	return NULL;
}

static void *acceptor(void *arg)
{
	(void)arg;
	atomic_store(&about_to_block, 1);
	result = accept(target_fd, NULL, NULL);
	return NULL;
}

static void pipe_case(void)
{
	int p[2];
	pthread_t t;

	guest_check("pipe", pipe(p) == 0);
	target_fd = p[0];
	atomic_store(&about_to_block, 0);
	pthread_create(&t, NULL, reader, NULL);
	settle();
	guest_check("close the read end while a thread reads it", close(p[0]) == 0);
	guest_check_err("the number is free at once", fcntl(p[0], F_GETFD), EBADF);
	guest_check("a write still finds the blocked reader", write(p[1], "z", 1) == 1);
	pthread_join(t, NULL);
	guest_check("the blocked read got the byte", result == 1 && byte == 'z');
	guest_check_err("afterwards the pipe has no reader", write(p[1], "z", 1), EPIPE);
	close(p[1]);
}

static void accept_case(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int l = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);
	pthread_t t;

	snprintf(a.sun_path, sizeof(a.sun_path), "/tmp/fdclose.%d.sock", (int)getpid());
	unlink(a.sun_path);
	guest_check("bind and listen",
		    bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(l, 4) == 0);
	target_fd = l;
	atomic_store(&about_to_block, 0);
	pthread_create(&t, NULL, acceptor, NULL);
	settle();
	guest_check("close the listener while a thread accepts on it", close(l) == 0);
	guest_check("a client still connects", connect(c, (struct sockaddr *)&a, sizeof(a)) == 0);
	pthread_join(t, NULL);
	guest_check("the blocked accept took it", result >= 0);
	guest_check("the accepted socket talks to the client",
		    result >= 0 && write(c, "q", 1) == 1 && read(result, &byte, 1) == 1 &&
			    byte == 'q');
	close(c);
	if (result >= 0)
		close(result);
	unlink(a.sun_path);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	pipe_case();
	accept_case();
	return guest_finish();
}
