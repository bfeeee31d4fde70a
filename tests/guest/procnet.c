/*
 * Guest test, area /proc: /proc/net/dev in Linux's format (the two header
 * lines, then one line per interface with 16 counters, lo among them), and
 * the /proc/self/fd links of files without a path: timerfd, signalfd,
 * eventfd and epoll show as anon_inode:[timerfd] and so on.  The host's
 * interfaces differ from the instance's, so only lo and the shape of every
 * line are compared.
 */
#include "guest.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#define NCOUNTERS 16

/* One interface line: "%6s:" then 16 counters.  Its name in `name`. */
static int dev_line_ok(const char *line, char *name, size_t size)
{
	const char *colon = strchr(line, ':');
	unsigned long long v;
	int n = 0, used;

	if (!colon || colon - line < 6)
		return 0;
	while (*line == ' ')
		line++;
	snprintf(name, size, "%.*s", (int)(colon - line), line);
	for (const char *p = colon + 1; sscanf(p, "%llu%n", &v, &used) == 1; p += used)
		n++;
	return n == NCOUNTERS && line[strlen(line) - 1] == '\n';
}

static void test_net_dev(void)
{
	FILE *f = fopen("/proc/net/dev", "r");
	char line[512], name[32];
	int lines = 0, good = 0, lo = 0;

	guest_check("open /proc/net/dev", f != NULL);
	if (!f)
		return;
	for (; fgets(line, sizeof(line), f); lines++) {
		if (lines < 2) { /* the header, byte for byte */
			fputs(line, stdout);
			continue;
		}
		if (dev_line_ok(line, name, sizeof(name))) {
			good++;
			lo |= !strcmp(name, "lo");
		} else {
			printf("bad line: %s", line);
		}
	}
	fclose(f);
	guest_check("every interface line has 16 counters", good == lines - 2 && good > 0);
	guest_check("lo is listed", lo);
}

/* The /proc/self/fd link of `fd`, printed with `what`. */
static void show_link(const char *what, int fd)
{
	char path[64], target[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		printf("%s: readlink: %s\n", what, guest_errname(errno));
		guest_bad++;
		return;
	}
	target[n] = 0;
	printf("%s -> %s\n", what, target);
}

static void test_anon_links(void)
{
	sigset_t set;
	int tfd, sfd, efd, epfd;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	sfd = signalfd(-1, &set, 0);
	efd = eventfd(0, 0);
	epfd = epoll_create1(0);
	guest_check("made the four files", tfd >= 0 && sfd >= 0 && efd >= 0 && epfd >= 0);
	show_link("timerfd", tfd);
	show_link("signalfd", sfd);
	show_link("eventfd", efd);
	show_link("epoll", epfd);
	close(tfd);
	close(sfd);
	close(efd);
	close(epfd);
}

int main(void)
{
	test_net_dev();
	test_anon_links();
	return guest_finish();
}
