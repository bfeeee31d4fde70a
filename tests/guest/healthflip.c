/*
 * A health endpoint whose answer a test can flip (tests/cli/etcd.sh; not a
 * compared guest test): `healthflip PORT SECONDS` answers every HTTP
 * request on PORT with 200 while healthy, 503 while not, and exits after
 * SECONDS.  SIGUSR1 flips the state (`monos kill -s USR1 NAME`): the
 * agent's --health http://:PORT/ check then sees the instance fail and
 * recover.  One connection at a time, blocking: a health check is all it
 * serves.
 */
#include "guest.h"
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>

static volatile sig_atomic_t unhealthy;

static void flip(int sig)
{
	(void)sig;
	unhealthy = !unhealthy;
}

static void serve(int c)
{
	static const char ok[] = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
	static const char bad[] =
		"HTTP/1.0 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbad\n";
	char buf[1024];

	if (read(c, buf, sizeof(buf)) > 0) { /* the request: any will do */
		if (unhealthy)
			(void)!write(c, bad, sizeof(bad) - 1);
		else
			(void)!write(c, ok, sizeof(ok) - 1);
	}
	close(c);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sigaction sa = { .sa_handler = flip, .sa_flags = SA_RESTART };
	int one = 1, s;

	if (argc != 3) {
		fprintf(stderr, "usage: healthflip PORT SECONDS\n");
		return 2;
	}
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	sigaction(SIGUSR1, &sa, NULL);
	alarm((unsigned)atoi(argv[2])); /* SIGALRM ends it */
	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 16)) {
		perror("healthflip");
		return 1;
	}
	printf("healthflip: listening on %s\n", argv[1]);
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c >= 0)
			serve(c);
	}
}
