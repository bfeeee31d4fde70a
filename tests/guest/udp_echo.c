/*
 * Guest helper for the UDP tests (tests/cli/udp.sh), not a compared test:
 *   udp_echo server PORT           echo every datagram to its sender until
 *                                  one says "quit"; then print how many
 *                                  were echoed and exit 0
 *   udp_echo client ADDR PORT N    N round trips of datagrams of varying
 *                                  sizes (1 to 1400 bytes), each checked
 *                                  byte by byte; the first half through
 *                                  sendto/recvfrom (the echo must come from
 *                                  ADDR:PORT), the second half on a
 *                                  connected socket (send/recv); a lost
 *                                  datagram is sent again (UDP may drop)
 * Exit status 0 on success, 1 with a message on stderr otherwise.
 */
#include "guest.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>

#define MAX_DGRAM 1400 /* fits one Ethernet frame: no IP fragments */
#define TRIES	  5    /* sends of one datagram before giving up */
#define WAIT_MS	  1000 /* for each echo */

static int die(const char *what)
{
	fprintf(stderr, "udp_echo: %s: %s\n", what, guest_errname(errno));
	return 1;
}

static int server(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) }, from;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	static char buf[65536];
	long echoed = 0;

	if (bind(s, (void *)&a, sizeof(a)))
		return die("bind");
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		socklen_t flen = sizeof(from);
		ssize_t r = recvfrom(s, buf, sizeof(buf), 0, (void *)&from, &flen);
		if (r < 0)
			return die("recvfrom");
		if (r == 4 && !memcmp(buf, "quit", 4))
			break;
		if (sendto(s, buf, r, 0, (void *)&from, flen) != r)
			return die("sendto");
		echoed++;
	}
	printf("echoed %ld datagrams\n", echoed);
	return 0;
}

/* Datagram i: its size and its bytes. */
static size_t pattern(long i, char *out)
{
	size_t n = (size_t)(i * 37 % MAX_DGRAM) + 1;

	for (size_t k = 0; k < n; k++)
		out[k] = (char)((i + k * 3) % 253);
	return n;
}

/* One round trip: send datagram i and wait for its echo; 0, or 1 (said). */
static int round_trip(int s, long i, const struct sockaddr_in *to, bool connected)
{
	static char out[MAX_DGRAM], in[MAX_DGRAM + 1];
	size_t n = pattern(i, out);

	for (int t = 0; t < TRIES; t++) {
		ssize_t w = connected ? send(s, out, n, 0)
				      : sendto(s, out, n, 0, (const void *)to, sizeof(*to));
		if (w != (ssize_t)n)
			return die("send");
		struct pollfd p = { s, POLLIN, 0 };
		while (poll(&p, 1, WAIT_MS) == 1) {
			struct sockaddr_in from;
			socklen_t flen = sizeof(from);
			ssize_t r = connected
					    ? recv(s, in, sizeof(in), 0)
					    : recvfrom(s, in, sizeof(in), 0, (void *)&from, &flen);
			if (r < 0)
				return die("recv");
			if (!connected && (from.sin_port != to->sin_port ||
					   from.sin_addr.s_addr != to->sin_addr.s_addr)) {
				fprintf(stderr, "udp_echo: echo from the wrong sender\n");
				return 1;
			}
			if (r == (ssize_t)n && !memcmp(in, out, n))
				return 0;
			/* a late echo of an earlier datagram: keep waiting */
		}
	}
	fprintf(stderr, "udp_echo: datagram %ld: no echo after %d tries\n", i, TRIES);
	return 1;
}

static int client(const char *addr, int port, long n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	long i;

	inet_pton(AF_INET, addr, &a.sin_addr);
	for (i = 0; i < n / 2; i++)
		if (round_trip(s, i, &a, false))
			return 1;
	if (connect(s, (void *)&a, sizeof(a)))
		return die("connect");
	for (; i < n; i++)
		if (round_trip(s, i, &a, true))
			return 1;
	printf("%ld round trips\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]), atol(argv[4]));
	fprintf(stderr, "usage: udp_echo server PORT | client ADDR PORT N\n");
	return 2;
}
