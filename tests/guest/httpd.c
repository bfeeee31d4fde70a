/*
 * A small static HTTP/1.1 server on epoll, for the networking tests and
 * benchmarks (not a compared guest test): `httpd PORT [SECONDS [BUSY]]`
 * answers every GET with a fixed page, keeps connections alive, and exits
 * after SECONDS (default: never).  BUSY: seconds after listening before the
 * first accept, as a server busy at start lets its accept queue fill.
 * Non-blocking sockets, edge-triggered epoll, one thread: the shape of
 * nginx's event loop.
 */
#include "guest.h"
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#define MAX_EVENTS 256
#define BODY	   "<html><body><h1>Hello from monos</h1></body></html>\n"

struct conn {
	int fd;
	size_t have;
	char buf[4096];
};

static const char response[] =
	"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n"
	"Connection: keep-alive\r\n\r\n%s";
static char reply[512];
static size_t reply_len;

/* Answer every complete request in the buffer; false: close the connection. */
static int serve(struct conn *c)
{
	for (;;) {
		ssize_t r = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have - 1);
		if (r == 0)
			return 0;
		if (r < 0)
			return errno == EAGAIN;
		c->have += r;
		c->buf[c->have] = 0;
		char *end;
		while ((end = strstr(c->buf, "\r\n\r\n"))) {
			size_t used = end + 4 - c->buf;
			if (write(c->fd, reply, reply_len) != (ssize_t)reply_len)
				return 0; /* a full socket buffer: this simple server gives up */
			memmove(c->buf, c->buf + used, c->have - used + 1);
			c->have -= used;
		}
		if (c->have == sizeof(c->buf) - 1)
			return 0; /* request too large */
	}
}

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 8080, one = 1;
	time_t stop = argc > 2 ? time(NULL) + atoi(argv[2]) : 0;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), ep = epoll_create1(0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL }, evs[MAX_EVENTS];

	/* As nginx's worker_rlimit_nofile and Go's runtime do: a connection
	 * per descriptor, beyond the soft limit's 1,024. */
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	reply_len = snprintf(reply, sizeof(reply), response, sizeof(BODY) - 1, BODY);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (void *)&a, sizeof(a)) || listen(l, 511) ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev)) {
		fprintf(stderr, "httpd: cannot listen on %d: %s\n", port, guest_errname(errno));
		return 1;
	}
	printf("httpd: listening on %d\n", port);
	fflush(stdout);
	if (argc > 3)
		sleep(atoi(argv[3]));
	while (!stop || time(NULL) < stop) {
		/* Wake only for clients, and once a second only when a deadline
		 * must be checked: an idle server costs the instance nothing. */
		int n = epoll_wait(ep, evs, MAX_EVENTS, stop ? 1000 : -1);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (!c) { /* the listener: take every pending connection */
				int fd;
				while ((fd = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					c = calloc(1, sizeof(*c));
					c->fd = fd;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					struct epoll_event cev = { .events = EPOLLIN | EPOLLET,
								   .data.ptr = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
					if (!serve(c)) {
						close(fd);
						free(c);
					}
				}
				continue;
			}
			if (!serve(c)) {
				close(c->fd); /* leaves the epoll set with its last close */
				free(c);
			}
		}
	}
	return 0;
}
