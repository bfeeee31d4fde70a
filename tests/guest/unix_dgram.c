/*
 * Guest test, area AF_UNIX datagrams: message boundaries through a
 * socketpair (sizes from 0 to 100 KB, truncation with MSG_TRUNC), sendto
 * and recvfrom with path and abstract addresses (the sender's name arrives,
 * an unbound sender's is empty), autobind, connect as a default destination,
 * MSG_PEEK, MSG_DONTWAIT and O_NONBLOCK (EAGAIN), FIONREAD as the next
 * message's size, poll, and the errors Linux gives (ENOENT, ECONNREFUSED,
 * EADDRINUSE, ENOTCONN, EPERM, EMSGSIZE).  Output is deterministic.
 */
#include "guest.h"

#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>


static char big[100000], buf[100001];

static socklen_t path_addr(struct sockaddr_un *a, const char *dir, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s/%s", dir, name);
	return offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1;
}

/* An abstract name: a NUL, then `name` (no terminator counted). */
static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, name, strlen(name));
	return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

static void test_boundaries(void)
{
	static const size_t sizes[] = { 1, 0, 100, 5000, 100000 };
	int sv[2];
	ssize_t n;

	guest_check("socketpair(SOCK_DGRAM)", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 13);
	for (size_t i = 0; i < 5; i++)
		if (send(sv[0], big, sizes[i], 0) != (ssize_t)sizes[i])
			printf("BAD send %zu: %s\n", sizes[i], guest_errname(errno));
	for (size_t i = 0; i < 5; i++) {
		n = recv(sv[1], buf, sizeof(buf), 0);
		printf("datagram %zu: %zd bytes, %s\n", i, n,
		       n >= 0 && !memcmp(buf, big, n) ? "intact" : "BAD");
	}
	write(sv[0], "truncated", 9);
	struct iovec iov = { buf, 4 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	n = recvmsg(sv[1], &mh, 0);
	printf("a 9-byte datagram into 4: %zd, MSG_TRUNC %s\n", n,
	       (mh.msg_flags & MSG_TRUNC) ? "set" : "clear");
	write(sv[0], "truncated", 9);
	guest_check("MSG_TRUNC returns the real size", recv(sv[1], buf, 2, MSG_TRUNC) == 9);
	guest_check("the rest of a cut datagram is gone",
		    recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) == -1 && errno == EAGAIN);
	write(sv[0], "abc", 3);
	write(sv[0], "defgh", 5);
	int avail = -1;
	ioctl(sv[1], FIONREAD, &avail);
	printf("FIONREAD: %d\n", avail);
	guest_check("MSG_PEEK", recv(sv[1], buf, sizeof(buf), MSG_PEEK) == 3);
	guest_check("the peeked datagram is still first", recv(sv[1], buf, sizeof(buf), 0) == 3);
	guest_check("then the next", read(sv[1], buf, sizeof(buf)) == 5);
	guest_check_err("MSG_DONTWAIT on an empty queue", recv(sv[1], buf, 1, MSG_DONTWAIT), EAGAIN);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	guest_check_err("O_NONBLOCK on an empty queue", read(sv[1], buf, 1), EAGAIN);
	struct pollfd p = { sv[1], POLLIN | POLLOUT, 0 };
	poll(&p, 1, 0);
	printf("poll empty: %#x\n", p.revents);
	write(sv[0], "x", 1);
	poll(&p, 1, 0);
	printf("poll with a datagram: %#x\n", p.revents);
	guest_check_err("a datagram larger than SO_SNDBUF", send(sv[0], buf, 300000, 0), EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
}

/* Print the address recvfrom reported, the directory part cut off. */
static void show_from(const char *what, struct sockaddr_un *a, socklen_t len, const char *dir)
{
	if (len <= 2)
		printf("%s: len %u (unnamed)\n", what, (unsigned)len);
	else if (a->sun_path[0])
		printf("%s: len %u path \"%s\"\n", what, (unsigned)len, a->sun_path + strlen(dir));
	else
		printf("%s: len %u abstract \"%.*s\"\n", what, (unsigned)len, (int)(len - 3),
		       a->sun_path + 1);
}

static void test_addresses(const char *dir)
{
	struct sockaddr_un sa, ca, ab, from;
	socklen_t slen = path_addr(&sa, dir, "srv"), clen = path_addr(&ca, dir, "cli");
	socklen_t alen = abstract_addr(&ab, "monos-dgram-test"), flen;
	int srv = socket(AF_UNIX, SOCK_DGRAM, 0), cli = socket(AF_UNIX, SOCK_DGRAM, 0);
	int anon = socket(AF_UNIX, SOCK_DGRAM, 0), abs1 = socket(AF_UNIX, SOCK_DGRAM, 0);
	int abs2 = socket(AF_UNIX, SOCK_DGRAM, 0);

	guest_check_err("sendto a missing path", sendto(cli, "x", 1, 0, (struct sockaddr *)&sa, slen),
		  ENOENT);
	guest_check_err("send unconnected", send(cli, "x", 1, 0), ENOTCONN);
	guest_check_err("bind srv", bind(srv, (struct sockaddr *)&sa, slen), 0);
	guest_check_err("bind cli", bind(cli, (struct sockaddr *)&ca, clen), 0);
	guest_check("sendto srv", sendto(cli, "hello", 5, 0, (struct sockaddr *)&sa, slen) == 5);
	flen = sizeof(from);
	guest_check("recvfrom",
		    recvfrom(srv, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) == 5);
	show_from("from a bound sender", &from, flen, dir);
	guest_check("reply to that address",
		    sendto(srv, "back", 4, 0, (struct sockaddr *)&from, flen) == 4);
	guest_check("the reply arrives", recv(cli, buf, sizeof(buf), 0) == 4);
	sendto(anon, "anon", 4, 0, (struct sockaddr *)&sa, slen);
	flen = sizeof(from);
	recvfrom(srv, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	show_from("from an unbound sender", &from, flen, dir);

	guest_check_err("bind an abstract name", bind(abs1, (struct sockaddr *)&ab, alen), 0);
	guest_check_err("the same abstract name again", bind(abs2, (struct sockaddr *)&ab, alen),
		  EADDRINUSE);
	struct sockaddr_un auto_a;
	socklen_t auto_len = sizeof(sa_family_t);
	auto_a.sun_family = AF_UNIX;
	guest_check_err("autobind", bind(abs2, (struct sockaddr *)&auto_a, auto_len), 0);
	auto_len = sizeof(auto_a);
	getsockname(abs2, (struct sockaddr *)&auto_a, &auto_len);
	printf("autobind name: len %u, abstract %s\n", (unsigned)auto_len,
	       auto_a.sun_path[0] == 0 ? "yes" : "no");
	sendto(abs2, "to-abstract", 11, 0, (struct sockaddr *)&ab, alen);
	flen = sizeof(from);
	recvfrom(abs1, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	guest_check("the autobound sender's name arrives",
		    flen == auto_len && !memcmp(&from, &auto_a, flen));

	guest_check_err("connect to srv", connect(anon, (struct sockaddr *)&sa, slen), 0);
	guest_check("send to the connected peer", send(anon, "conn", 4, 0) == 4);
	guest_check("it arrives", recv(srv, buf, sizeof(buf), 0) == 4 && !memcmp(buf, "conn", 4));
	flen = sizeof(from);
	getpeername(anon, (struct sockaddr *)&from, &flen);
	show_from("getpeername of a connected datagram socket", &from, flen, dir);
	guest_check_err("connect cli to srv", connect(cli, (struct sockaddr *)&sa, slen), 0);
	guest_check_err("connect srv to cli", connect(srv, (struct sockaddr *)&ca, clen), 0);
	guest_check_err("srv takes only cli now", send(anon, "no", 2, 0), EPERM);
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	guest_check_err("connect(AF_UNSPEC) disconnects", connect(anon, &unspec, sizeof(unspec)), 0);
	guest_check_err("send after the disconnect", send(anon, "x", 1, 0), ENOTCONN);

	close(srv);
	guest_check_err("send to a closed peer", send(cli, "x", 1, 0), ECONNREFUSED);
	guest_check_err("and then it is not connected", send(cli, "x", 1, 0), ENOTCONN);
	guest_check_err("sendto a stale path", sendto(anon, "x", 1, 0, (struct sockaddr *)&sa, slen),
		  ECONNREFUSED);
	int st = socket(AF_UNIX, SOCK_STREAM, 0);
	guest_check_err("sendto on an unconnected stream socket",
		  sendto(st, "x", 1, 0, (struct sockaddr *)&ab, alen), EOPNOTSUPP);
	close(st);
	close(cli);
	close(anon);
	close(abs1);
	close(abs2);
	unlink(sa.sun_path);
	unlink(ca.sun_path);
}

int main(void)
{
	char dir[] = "/tmp/unix_dgram.XXXXXX";

	if (!mkdtemp(dir)) {
		printf("BAD mkdtemp: %s\n", guest_errname(errno));
		return 1;
	}
	test_boundaries();
	test_addresses(dir);
	rmdir(dir);
	return guest_finish();
}
