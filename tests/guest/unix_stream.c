/*
 * Guest test, area AF_UNIX connections: a socketpair echo of 1 MiB through a
 * thread (checksummed), bind/listen/connect/accept on a path under a mkdtemp
 * directory in /tmp, the errors of each (EADDRINUSE, ENOENT, ECONNREFUSED,
 * EISCONN, EINVAL), non-blocking accept and connect (EAGAIN with a full
 * backlog), shutdown as EOF, EPIPE with SIGPIPE ignored and MSG_NOSIGNAL,
 * ECONNRESET for unread data, poll and epoll readiness, getsockname and
 * getpeername, socket options, FIONREAD, MSG_PEEK, MSG_WAITALL, SCM_RIGHTS
 * and SOCK_SEQPACKET boundaries.  Output is deterministic: the same natively
 * and in monos.
 */
#include "guest.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define ECHO_BYTES (1 << 20)
#define PIECE	   3001 /* odd-sized writes cross every buffer boundary */

static unsigned char data[ECHO_BYTES];

static void *echo_thread(void *arg)
{
	int fd = *(int *)arg;
	char buf[8192];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, n - off);
			if (w <= 0)
				return NULL;
			off += w;
		}
	shutdown(fd, SHUT_WR);
	return NULL;
}

static void *writer_thread(void *arg)
{
	int fd = *(int *)arg;

	for (size_t off = 0; off < ECHO_BYTES;) {
		size_t n = ECHO_BYTES - off < PIECE ? ECHO_BYTES - off : PIECE;
		ssize_t w = write(fd, data + off, n);
		if (w <= 0)
			break;
		off += w;
	}
	shutdown(fd, SHUT_WR);
	return NULL;
}

static void test_echo(void)
{
	int sv[2];
	pthread_t echo, writer;
	uint64_t want = guest_fnv(GUEST_FNV_INIT, data, ECHO_BYTES), got = GUEST_FNV_INIT;
	size_t total = 0;
	char buf[7000];
	ssize_t n;

	guest_check("socketpair(AF_UNIX, SOCK_STREAM)",
		    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	pthread_create(&echo, NULL, echo_thread, &sv[1]);
	pthread_create(&writer, NULL, writer_thread, &sv[0]);
	while ((n = read(sv[0], buf, sizeof(buf))) > 0) {
		got = guest_fnv(got, buf, n);
		total += n;
	}
	pthread_join(writer, NULL);
	pthread_join(echo, NULL);
	printf("echo: %zu bytes back, read ends with %zd\n", total, n);
	guest_check("echo: the checksum matches", got == want);
	close(sv[0]);
	close(sv[1]);
}

static socklen_t path_addr(struct sockaddr_un *a, const char *dir, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s/%s", dir, name);
	return offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1;
}

/* Print what getsockname or getpeername gives, with the path made relative
 * to `dir` (its name differs between runs). */
static void show_name(const char *what, int fd, bool peer, const char *dir)
{
	struct sockaddr_un a;
	socklen_t len = sizeof(a);
	int r = peer ? getpeername(fd, (struct sockaddr *)&a, &len)
		     : getsockname(fd, (struct sockaddr *)&a, &len);
	const char *p = a.sun_path;

	if (r) {
		printf("%s: %s\n", what, guest_errname(errno));
		return;
	}
	if (len > 2 && !strncmp(p, dir, strlen(dir)))
		p += strlen(dir);
	printf("%s: len %u family %d path \"%s\"\n", what, (unsigned)len, a.sun_family,
	       len > 2 ? p : "");
}

static void test_paths(const char *dir)
{
	struct sockaddr_un a, other;
	socklen_t len = path_addr(&a, dir, "srv"), olen = path_addr(&other, dir, "none");
	int srv = socket(AF_UNIX, SOCK_STREAM, 0), cli = socket(AF_UNIX, SOCK_STREAM, 0), acc;
	int dup = socket(AF_UNIX, SOCK_STREAM, 0), dg = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct stat st;
	char buf[16];

	guest_check_err("connect to a missing path", connect(cli, (struct sockaddr *)&other, olen),
		  ENOENT);
	guest_check_err("bind", bind(srv, (struct sockaddr *)&a, len), 0);
	guest_check("the name is a socket file",
		    stat(a.sun_path, &st) == 0 && S_ISSOCK(st.st_mode));
	guest_check_err("open a socket file", open(a.sun_path, O_RDONLY), ENXIO);
	guest_check_err("bind the same path again", bind(dup, (struct sockaddr *)&a, len), EADDRINUSE);
	guest_check_err("bind a bound socket", bind(srv, (struct sockaddr *)&other, olen), EINVAL);
	guest_check_err("connect before listen", connect(cli, (struct sockaddr *)&a, len), ECONNREFUSED);
	guest_check_err("listen on an unbound socket", listen(dup, 5), EINVAL);
	guest_check_err("listen on a datagram socket", listen(dg, 5), EOPNOTSUPP);
	guest_check_err("listen", listen(srv, 5), 0);
	guest_check_err("a datagram connect to a stream name", connect(dg, (struct sockaddr *)&a, len),
		  EPROTOTYPE);
	guest_check_err("connect", connect(cli, (struct sockaddr *)&a, len), 0);
	guest_check_err("connect again", connect(cli, (struct sockaddr *)&a, len), EISCONN);
	/* A client may write before it is accepted. */
	guest_check("write before accept", write(cli, "early", 5) == 5);
	acc = accept(srv, NULL, NULL);
	guest_check("accept", acc >= 0);
	guest_check("read what was written before accept",
		    read(acc, buf, sizeof(buf)) == 5 && !memcmp(buf, "early", 5));
	show_name("listener getsockname", srv, false, dir);
	show_name("client getsockname", cli, false, dir);
	show_name("client getpeername", cli, true, dir);
	show_name("accepted getsockname", acc, false, dir);
	show_name("accepted getpeername", acc, true, dir);
	show_name("listener getpeername", srv, true, dir);
	guest_check_err("read on a listener", read(srv, buf, 1), EINVAL);
	close(acc);
	close(cli);
	close(srv);
	close(dup);
	close(dg);
	guest_check("the file stays after close", stat(a.sun_path, &st) == 0);
	srv = socket(AF_UNIX, SOCK_STREAM, 0);
	guest_check_err("bind over a stale socket file", bind(srv, (struct sockaddr *)&a, len),
		  EADDRINUSE);
	close(srv);
	cli = socket(AF_UNIX, SOCK_STREAM, 0);
	guest_check_err("connect to a stale file", connect(cli, (struct sockaddr *)&a, len),
		  ECONNREFUSED);
	close(cli);
	unlink(a.sun_path);
}

static void test_nonblocking(const char *dir)
{
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, dir, "nb");
	int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0), c[3], acc;

	bind(srv, (struct sockaddr *)&a, len);
	listen(srv, 0);
	guest_check_err("accept with none pending", accept(srv, NULL, NULL), EAGAIN);
	for (int i = 0; i < 3; i++)
		c[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	/* Linux lets in one more than the backlog. */
	guest_check_err("connect 1 with backlog 0", connect(c[0], (struct sockaddr *)&a, len), 0);
	guest_check_err("connect 2: backlog full", connect(c[1], (struct sockaddr *)&a, len), EAGAIN);
	acc = accept4(srv, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	guest_check("accept4 takes the pending one", acc >= 0);
	guest_check("accept4: O_NONBLOCK", (fcntl(acc, F_GETFL) & O_NONBLOCK) != 0);
	guest_check("accept4: FD_CLOEXEC", fcntl(acc, F_GETFD) == FD_CLOEXEC);
	guest_check_err("connect 3 after the accept", connect(c[2], (struct sockaddr *)&a, len), 0);
	guest_check_err("read with no data", read(acc, &len, 1), EAGAIN);
	guest_check_err("accept4 with bad flags", syscall(SYS_accept4, srv, NULL, NULL, 1), EINVAL);
	for (int i = 0; i < 3; i++)
		close(c[i]);
	close(acc);
	close(srv);
	unlink(a.sun_path);
}

static void test_shutdown_and_errors(void)
{
	int sv[2];
	char buf[8];

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	guest_check_err("shutdown(SHUT_WR)", shutdown(sv[0], SHUT_WR), 0);
	guest_check("the peer reads EOF", read(sv[1], buf, sizeof(buf)) == 0);
	guest_check("the peer can still write back", write(sv[1], "x", 1) == 1);
	guest_check("and we read it", read(sv[0], buf, 1) == 1 && buf[0] == 'x');
	guest_check_err("write after SHUT_WR", send(sv[0], "y", 1, MSG_NOSIGNAL), EPIPE);
	guest_check_err("shutdown(bad how)", shutdown(sv[0], 7), EINVAL);
	close(sv[0]);
	close(sv[1]);

	signal(SIGPIPE, SIG_IGN);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	close(sv[1]);
	guest_check_err("write to a closed peer", write(sv[0], "z", 1), EPIPE);
	guest_check("read from a closed peer: EOF", read(sv[0], buf, 1) == 0);
	close(sv[0]);
	signal(SIGPIPE, SIG_DFL);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	close(sv[1]);
	guest_check_err("MSG_NOSIGNAL: EPIPE without the signal", send(sv[0], "z", 1, MSG_NOSIGNAL),
		  EPIPE);
	close(sv[0]);

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[0], "unread", 6);
	close(sv[1]); /* leaves data unread: the peer gets a reset */
	guest_check_err("read after the peer closed with unread data", read(sv[0], buf, 1), ECONNRESET);
	guest_check("then EOF", read(sv[0], buf, 1) == 0);
	close(sv[0]);
}

static void show_poll(const char *what, int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP, 0 };

	poll(&p, 1, 0);
	printf("poll %s: %#x\n", what, p.revents);
}

static void test_poll(const char *dir)
{
	int sv[2], ep = epoll_create1(0), srv, cli;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, out[4];
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, dir, "poll");
	char buf[8];

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	show_poll("fresh pair", sv[0]);
	write(sv[1], "ab", 2);
	show_poll("with data", sv[0]);
	shutdown(sv[1], SHUT_WR);
	show_poll("after the peer's SHUT_WR", sv[0]);
	close(sv[1]);
	show_poll("after the peer closed", sv[0]);
	close(sv[0]);

	srv = socket(AF_UNIX, SOCK_STREAM, 0);
	show_poll("unconnected stream socket", srv);
	bind(srv, (struct sockaddr *)&a, len);
	listen(srv, 4);
	show_poll("listener", srv);
	ev.data.fd = srv;
	epoll_ctl(ep, EPOLL_CTL_ADD, srv, &ev);
	guest_check("epoll: an idle listener is not ready", epoll_wait(ep, out, 4, 0) == 0);
	cli = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(cli, (struct sockaddr *)&a, len);
	show_poll("listener with a pending connection", srv);
	guest_check("epoll: a connection makes it ready",
		    epoll_wait(ep, out, 4, 1000) == 1 && out[0].data.fd == srv);
	guest_check("epoll (edge): not again without news", epoll_wait(ep, out, 4, 0) == 0);
	int acc = accept(srv, NULL, NULL);
	ev.data.fd = acc;
	ev.events = EPOLLIN | EPOLLRDHUP;
	epoll_ctl(ep, EPOLL_CTL_ADD, acc, &ev);
	write(cli, "q", 1);
	guest_check("epoll: data on the accepted socket",
		    epoll_wait(ep, out, 4, 1000) == 1 && out[0].events == EPOLLIN);
	read(acc, buf, 1);
	close(cli);
	guest_check("epoll: EPOLLRDHUP when the client closes",
		    epoll_wait(ep, out, 4, 1000) == 1 &&
			    out[0].events == (EPOLLIN | EPOLLRDHUP | EPOLLHUP));
	close(acc);
	close(srv);
	close(ep);
	unlink(a.sun_path);
}

static void test_options(void)
{
	int sv[2], v, n;
	socklen_t len = sizeof(v);
	struct stat st;
	char buf[16];

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	guest_check("fstat: S_IFSOCK", fstat(sv[0], &st) == 0 && S_ISSOCK(st.st_mode));
	guest_check("SOCK_CLOEXEC", fcntl(sv[0], F_GETFD) == FD_CLOEXEC);
	getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &len);
	printf("SO_TYPE %d len %u\n", v, (unsigned)len);
	v = 4096;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &len);
	printf("SO_SNDBUF after setting 4096: %d\n", v);
	getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, &len);
	printf("SO_ERROR %d\n", v);
	v = 1;
	guest_check_err("SO_REUSEADDR", setsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), 0);
	guest_check_err("SO_KEEPALIVE", setsockopt(sv[0], SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)), 0);
	guest_check_err("SO_PASSCRED", setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &v, sizeof(v)), 0);
	guest_check_err("an unknown option", setsockopt(sv[0], SOL_SOCKET, 9999, &v, sizeof(v)),
		  ENOPROTOOPT);
	guest_check_err("a short option", setsockopt(sv[0], SOL_SOCKET, SO_KEEPALIVE, &v, 2), EINVAL);
	struct linger lg = { 1, 5 };
	guest_check_err("SO_LINGER", setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	struct timeval tv = { 0, 100000 };
	guest_check_err("SO_RCVTIMEO", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	guest_check_err("a read times out with EAGAIN", read(sv[0], buf, 1), EAGAIN);
	guest_check_err("getsockopt on a pipe", getsockopt(0, SOL_SOCKET, SO_TYPE, &v, &len), ENOTSOCK);
	write(sv[1], "hello", 5);
	ioctl(sv[0], FIONREAD, &n);
	printf("FIONREAD %d\n", n);
	guest_check("MSG_PEEK sees the data",
		    recv(sv[0], buf, 3, MSG_PEEK) == 3 && !memcmp(buf, "hel", 3));
	guest_check("and it stays", recv(sv[0], buf, sizeof(buf), 0) == 5);
	guest_check_err("MSG_DONTWAIT", recv(sv[0], buf, 1, MSG_DONTWAIT), EAGAIN);
	write(sv[1], "ab", 2);
	write(sv[1], "cd", 2);
	guest_check("a stream read joins writes", read(sv[0], buf, sizeof(buf)) == 4);
	close(sv[0]);
	close(sv[1]);
}

static void *slow_writer(void *arg)
{
	int fd = *(int *)arg;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	for (int i = 0; i < 4; i++) {
		nanosleep(&ts, NULL);
		write(fd, "abc", 3);
	}
	return NULL;
}

static void test_waitall_and_rights(void)
{
	int sv[2], p[2], got = -1;
	pthread_t th;
	char buf[16], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, 1 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pthread_create(&th, NULL, slow_writer, &sv[1]);
	guest_check("MSG_WAITALL waits for all 12 bytes", recv(sv[0], buf, 12, MSG_WAITALL) == 12);
	pthread_join(th, NULL);

	pipe(p);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	buf[0] = 'F';
	guest_check("sendmsg with SCM_RIGHTS", sendmsg(sv[0], &mh, 0) == 1);
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_controllen = sizeof(cbuf);
	guest_check("recvmsg", recvmsg(sv[1], &mh, 0) == 1 && buf[0] == 'F');
	c = CMSG_FIRSTHDR(&mh);
	guest_check("one SCM_RIGHTS message",
		    c && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)));
	if (c)
		memcpy(&got, CMSG_DATA(c), sizeof(int));
	guest_check("the passed fd writes into the pipe",
		    got >= 0 && got != p[1] && write(got, "P", 1) == 1 && read(p[0], buf, 1) == 1 &&
			    buf[0] == 'P');
	close(got);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

static void test_seqpacket(void)
{
	int sv[2];
	char buf[16];
	struct iovec iov = { buf, 4 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	guest_check("socketpair(SOCK_SEQPACKET)", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	write(sv[0], "one", 3);
	write(sv[0], "three", 5);
	guest_check("seqpacket: a record at a time", read(sv[1], buf, sizeof(buf)) == 3);
	guest_check("seqpacket: a long record is cut",
		    recvmsg(sv[1], &mh, 0) == 4 && (mh.msg_flags & MSG_TRUNC));
	close(sv[0]);
	guest_check("seqpacket: EOF after the peer closed", read(sv[1], buf, sizeof(buf)) == 0);
	close(sv[1]);
}

int main(void)
{
	char dir[] = "/tmp/unix_stream.XXXXXX";

	for (size_t i = 0; i < ECHO_BYTES; i++)
		data[i] = (unsigned char)(i * 7 + (i >> 9));
	if (!mkdtemp(dir)) {
		printf("BAD mkdtemp: %s\n", guest_errname(errno));
		return 1;
	}
	test_echo();
	test_paths(dir);
	test_nonblocking(dir);
	test_shutdown_and_errors();
	test_poll(dir);
	test_options();
	test_waitall_and_rights();
	test_seqpacket();
	rmdir(dir);
	return guest_finish();
}
