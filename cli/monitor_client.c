/*
 * The client end of a monitor's control socket (monitor.c): one request
 * line, one answer line, one connection each.  For the instance commands
 * and the OCI runtime.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Read the answer line into `reply` until '\n', EOF or `timeout_ms`. */
static int read_reply(int fd, char *reply, size_t n, int timeout_ms)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t got;

	while (len + 1 < n) {
		int rc = poll(&pf, 1, timeout_ms);

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return rc ? -errno : -ETIMEDOUT;
		got = read(fd, reply + len, n - 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
		if (memchr(reply, '\n', len))
			break;
	}
	reply[len] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
	return len ? 0 : -ECONNRESET; /* hung up without a word */
}

int monitor_request(const char *dir, const char *req, char *reply, size_t n, int timeout_ms)
{
	struct sockaddr_un sa;
	char line[MONITOR_REPLY_MAX];
	int fd, dfd, rc = state_sock_addr(dir, &sa, &dfd);

	if (rc < 0)
		return rc;
	snprintf(line, sizeof(line), "%s\n", req);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		rc = -errno;
	else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		rc = -errno;
	else
		rc = msg_write_full(fd, line, strlen(line));
	if (dfd >= 0)
		close(dfd);
	if (fd < 0)
		return rc;
	if (!rc)
		rc = read_reply(fd, reply, n, timeout_ms);
	close(fd);
	return rc;
}

/* A request answered "ok": 0, or -EPROTO (the answer in `why`), -errno. */
static int request_ok(const char *dir, const char *req, char *why, size_t n)
{
	int rc = monitor_request(dir, req, why, n, MONITOR_CLIENT_TIMEOUT_MS);

	return rc < 0 ? rc : strcmp(why, "ok") ? -EPROTO : 0;
}

int monitor_start(const char *dir, char *why, size_t n)
{
	return request_ok(dir, "start", why, n);
}

int monitor_signal(const char *dir, int signo, char *why, size_t n)
{
	char req[32];

	snprintf(req, sizeof(req), "signal %d", signo);
	return request_ok(dir, req, why, n);
}

int monitor_state(const char *dir, char *state, size_t n, int *status, pid_t *qemu)
{
	char reply[MONITOR_REPLY_MAX];
	int rc = monitor_request(dir, "state", reply, sizeof(reply), MONITOR_CLIENT_TIMEOUT_MS);
	char word[16];
	unsigned restarts;
	long pid;

	if (rc < 0)
		return rc;
	if (sscanf(reply, "%15s %d %u %ld", word, status, &restarts, &pid) != 4)
		return -EPROTO;
	*qemu = (pid_t)pid;
	snprintf(state, n, "%s", word);
	return 0;
}

int monitor_wait(const char *dir, int *status)
{
	char reply[MONITOR_REPLY_MAX];
	int rc = monitor_request(dir, "wait", reply, sizeof(reply), -1);

	if (rc < 0)
		return rc;
	return sscanf(reply, "%d", status) == 1 ? 0 : -EPROTO;
}
