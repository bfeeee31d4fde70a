/*
 * Guest helper for the TCP tests (tests/cli/tcp.sh), not a compared test:
 *   tcp_echo server PORT N         accept N connections on PORT (all
 *                                  addresses, IPv4 and IPv6), echo each
 *                                  until its peer closes, then exit 0
 *   tcp_echo client ADDR PORT BYTES  connect, send BYTES of a pattern while
 *                                  reading the echo, check every byte, print
 *                                  "echoed BYTES bytes, fnv HASH"
 *   tcp_echo refused ADDR PORT     a non-blocking connect to a closed port:
 *                                  print what SO_ERROR says after poll
 *   tcp_echo reset ADDR PORT       send "hello" to a peer that answers with
 *                                  a reset; print what read (twice) and
 *                                  write then return, and the SIGPIPEs seen
 * Exit status 0 on success, 1 with a message on stderr otherwise.
 */
#include "guest.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>

static int die(const char *what)
{
	fprintf(stderr, "tcp_echo: %s: %s\n", what, guest_errname(errno));
	return 1;
}

static int server(int port, int n)
{
	int one = 1, l = socket(AF_INET6, SOCK_STREAM, 0), zero = 0;
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	char buf[65536];

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(l, (void *)&a, sizeof(a)) || listen(l, 16))
		return die("bind/listen");
	printf("listening\n");
	fflush(stdout);
	while (n--) {
		int c = accept(l, NULL, NULL);
		ssize_t r;
		if (c < 0)
			return die("accept");
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while ((r = read(c, buf, sizeof(buf))) > 0)
			for (ssize_t off = 0; off < r;) {
				ssize_t w = write(c, buf + off, r - off);
				if (w <= 0)
					return die("write");
				off += w;
			}
		if (r < 0)
			return die("read");
		close(c);
	}
	return 0;
}

static int client(const char *addr, int port, long bytes)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM, 0);
	static char out[16384], in[16384];
	long sent = 0, got = 0;
	uint64_t h = GUEST_FNV_INIT;

	inet_pton(AF_INET, addr, &a.sin_addr);
	if (connect(s, (void *)&a, sizeof(a)))
		return die("connect");
	fcntl(s, F_SETFL, O_NONBLOCK);
	while (got < bytes) {
		struct pollfd p = { s, POLLIN | (sent < bytes ? POLLOUT : 0), 0 };
		if (poll(&p, 1, 30000) <= 0)
			return die("poll timed out");
		if ((p.revents & POLLOUT) && sent < bytes) {
			size_t n = (size_t)(bytes - sent) < sizeof(out) ? (size_t)(bytes - sent)
									: sizeof(out);
			for (size_t i = 0; i < n; i++)
				out[i] = (char)((sent + i) * 7 % 251);
			ssize_t w = write(s, out, n);
			if (w < 0 && errno != EAGAIN)
				return die("write");
			if (w > 0)
				sent += w;
			if (sent == bytes)
				shutdown(s, SHUT_WR);
		}
		if (p.revents & (POLLIN | POLLHUP)) {
			ssize_t r = read(s, in, sizeof(in));
			if (r == 0)
				break;
			if (r < 0 && errno != EAGAIN)
				return die("read");
			for (ssize_t i = 0; i < r; i++)
				if (in[i] != (char)((got + i) * 7 % 251))
					return die("echo differs");
			if (r > 0) {
				h = guest_fnv(h, in, r);
				got += r;
			}
		}
	}
	printf("echoed %ld bytes, fnv %016llx\n", got, (unsigned long long)h);
	return got == bytes ? 0 : 1;
}

static int refused(const char *addr, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	socklen_t len = sizeof(err);

	inet_pton(AF_INET, addr, &a.sin_addr);
	if (connect(s, (void *)&a, sizeof(a)) == 0 || errno != EINPROGRESS)
		return die("connect did not say EINPROGRESS");
	struct pollfd p = { s, POLLOUT, 0 };
	poll(&p, 1, 10000);
	getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
	printf("SO_ERROR %s\n", guest_errname(err));
	return 0;
}

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

/* The errno of a failed call, or "ok N" for a result N >= 0. */
static const char *outcome(ssize_t r, char *buf, size_t len)
{
	if (r < 0)
		return guest_errname(errno);
	snprintf(buf, len, "ok %zd", r);
	return buf;
}

/* The peer resets the connection after our first bytes: the first read
 * reports ECONNRESET, the next one end of file, and a write EPIPE with a
 * SIGPIPE (man 7 tcp; Linux's tcp_reset and sk_stream_error). */
static int reset(const char *addr, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM, 0);
	char buf[64], out[32];

	signal(SIGPIPE, on_sigpipe);
	inet_pton(AF_INET, addr, &a.sin_addr);
	if (connect(s, (void *)&a, sizeof(a)) || write(s, "hello", 5) != 5)
		return die("connect/write");
	struct pollfd p = { s, POLLIN, 0 };
	if (poll(&p, 1, 30000) != 1)
		return die("poll for the reset");
	printf("poll: POLLIN %d POLLHUP %d POLLERR %d\n", !!(p.revents & POLLIN),
	       !!(p.revents & POLLHUP), !!(p.revents & POLLERR));
	printf("read: %s\n", outcome(read(s, buf, sizeof(buf)), out, sizeof(out)));
	printf("read again: %s\n", outcome(read(s, buf, sizeof(buf)), out, sizeof(out)));
	printf("write: %s\n", outcome(write(s, "x", 1), out, sizeof(out)));
	printf("SIGPIPE %d\n", (int)sigpipes);
	printf("send MSG_NOSIGNAL: %s\n", outcome(send(s, "x", 1, MSG_NOSIGNAL), out, sizeof(out)));
	printf("SIGPIPE %d\n", (int)sigpipes);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]), atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]), atol(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "refused"))
		return refused(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "reset"))
		return reset(argv[2], atoi(argv[3]));
	fprintf(stderr,
		"usage: tcp_echo server PORT N | client ADDR PORT BYTES | refused ADDR PORT | "
		"reset ADDR PORT\n");
	return 2;
}
