/*
 * What the agent reads and writes of the kernel: /proc files, the counters
 * of /proc/monos/counters and the commands of /dev/monos
 * (kernel/linux/monos_dev.c has their formats).
 */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define COUNTERS_MAX (256u << 10) /* the counters file is a few KiB */
#define COMMAND_MAX  64

long sys_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n = 0;

	if (fd < 0)
		return -1;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	return n < 0 ? -1 : (long)len;
}

int sys_counters(void (*fn)(void *ctx, char **w, int nw), void *ctx)
{
	static char buf[COUNTERS_MAX];
	char *line, *save = NULL;

	if (sys_read_file(AGENT_COUNTERS, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *w[3] = { NULL, NULL, NULL }, *s2 = NULL;
		int nw = 0;
		for (char *t = strtok_r(line, " ", &s2); t && nw < 3; t = strtok_r(NULL, " ", &s2))
			w[nw++] = t;
		if (nw >= 2)
			fn(ctx, w, nw);
	}
	return 0;
}

int sys_command(const char *fmt, ...)
{
	char cmd[COMMAND_MAX];
	va_list ap;
	int fd, n, err = 0;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -EINVAL;
	if ((fd = open(AGENT_DEVICE, O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (write(fd, cmd, (size_t)n) != n)
		err = -errno;
	close(fd);
	return err;
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "HUP", SIGHUP },   { "INT", SIGINT },	    { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },   { "TERM", SIGTERM }, { "CONT", SIGCONT },
	{ "STOP", SIGSTOP }, { "WINCH", SIGWINCH },
};

int sys_signal_number(const char *s, size_t n)
{
	int v = 0;

	if (n > 3 && !strncasecmp(s, "SIG", 3))
		s += 3, n -= 3;
	if (n && n <= 2 && s[0] >= '0' && s[0] <= '9') {
		for (size_t i = 0; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return 0;
			v = v * 10 + (s[i] - '0');
		}
		return v > 0 && v < 65 ? v : 0;
	}
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (strlen(signals[i].name) == n && !strncasecmp(s, signals[i].name, n))
			return signals[i].sig;
	return 0;
}
