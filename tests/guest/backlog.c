/*
 * Guest test, area net: a listening TCP socket queues connections up to its
 * backlog before the program accepts any, as Linux does (listen(fd, 511):
 * 300 clients connect at once and all 300 are then accepted).  monos once
 * counted them against lwIP's 8-bit backlog and dropped SYNs past 255, so
 * the last clients waited for SYN retransmissions (issue 8: a server busy
 * at start, or with thousands of idle connections, stopped answering).
 * Over loopback, inside one program.
 */
#include "guest.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#define CLIENTS 300  /* past lwIP's 255 */
#define BACKLOG 511  /* nginx's and httpd's */
#define WAIT_MS 2000 /* for all handshakes over loopback */

static int clients[CLIENTS];

/* Connect every client without blocking; how many are connected once
 * WAIT_MS passed or all are. */
static int connect_all(const struct sockaddr_in *a)
{
	struct pollfd p[CLIENTS];
	int up = 0;

	for (int i = 0; i < CLIENTS; i++) {
		clients[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(clients[i], (const void *)a, sizeof(*a)) && errno != EINPROGRESS)
			printf("connect %d: %s\n", i, guest_errname(errno));
		p[i] = (struct pollfd){ .fd = clients[i], .events = POLLOUT };
	}
	for (int waited = 0; waited < WAIT_MS && up < CLIENTS; waited += 100) {
		poll(p, CLIENTS, 100);
		up = 0;
		for (int i = 0; i < CLIENTS; i++) {
			int err = 1;
			socklen_t len = sizeof(err);
			if (p[i].revents & POLLOUT)
				getsockopt(clients[i], SOL_SOCKET, SO_ERROR, &err, &len);
			up += (p[i].revents & POLLOUT) && !err;
		}
	}
	return up;
}

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), taken = 0, fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (void *)&a, sizeof(a)) || listen(l, BACKLOG) ||
	    getsockname(l, (void *)&a, &len)) {
		printf("listen: %s\n", guest_errname(errno));
		return 1;
	}
	printf("connected before any accept: %d of %d\n", connect_all(&a), CLIENTS);
	fcntl(l, F_SETFL, O_NONBLOCK);
	while ((fd = accept(l, NULL, NULL)) >= 0) {
		taken++;
		close(fd);
	}
	printf("accepted: %d (then %s)\n", taken, guest_errname(errno));
	return 0;
}
