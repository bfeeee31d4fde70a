/*
 * The monitor's control socket (monitor.c has the monitor's life): a unix
 * stream socket at the instance's directory (mode 0700, so only its owner
 * connects), one request line and one answer line per connection, the
 * requests listed at monitor_request in cli.h.  Watched by the session's
 * hook while QEMU runs and by monitor.c's idle loop between boots; `wait`
 * and `stats` clients stay open until their answer (the instance's end, the
 * guest's STATS frame).  The guest's HEALTH frames go into the record
 * as they come (`monos ps`, `monos inspect` read it there).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor_internal.h"

/* Answer a client and hang up. */
static void mon_reply(struct mon_client *cl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void mon_reply(struct mon_client *cl, const char *fmt, ...)
{
	char buf[MONITOR_REPLY_MAX];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	if ((size_t)len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;
	buf[len++] = '\n';
	msg_write_full(cl->fd, buf, len); /* a few bytes on a fresh socket */
	close(cl->fd);
	cl->st = CL_FREE;
}

/* Kill QEMU now: a stop's grace time is over, or SIGKILL was asked for. */
static void mon_kill(struct monitor *m)
{
	if (m->qemu > 0)
		kill(m->qemu, SIGKILL);
	m->killed = true;
	m->kill_at = 0;
}

/* `signal N`: NULL when done, else why not. */
static const char *mon_signal(struct monitor *m, int signo)
{
	uint8_t b = (uint8_t)signo;

	if (signo == SIGKILL) /* docker kill: no restart after it */
		m->stop_requested = true;
	if (m->state != MON_RUNNING)
		return signo == SIGKILL ? NULL : "the instance is not running";
	if (signo == SIGKILL)
		mon_kill(m);
	else if (m->c && channel_queue(m->c, MONOS_CHAN_SIGNAL, &b, 1) < 0)
		return "out of memory";
	return NULL;
}

/* `stop SECS`: SIGTERM, and SIGKILL after SECS; never restarted. */
static void mon_stop(struct monitor *m, unsigned secs)
{
	uint8_t term = SIGTERM;

	m->stop_requested = true;
	if (m->state != MON_RUNNING || !m->c)
		return;
	if (!m->c->guest_ready || !secs) { /* nothing can stop gracefully yet */
		mon_kill(m);
		return;
	}
	channel_queue(m->c, MONOS_CHAN_SIGNAL, &term, 1);
	if (!m->kill_at)
		m->kill_at = monitor_now_ms() + secs * 1000ull;
}

static void mon_request(struct monitor *m, struct mon_client *cl)
{
	char cmd[16];
	unsigned arg = 0;
	const char *why;
	int n = sscanf(cl->line, "%15s %u", cmd, &arg);

	if (n >= 1 && !strcmp(cmd, "start")) {
		m->gate_open = true;
		mon_reply(cl, "ok");
	} else if (n == 2 && !strcmp(cmd, "signal") && arg > 0 && arg < 65) {
		why = mon_signal(m, (int)arg);
		if (why)
			mon_reply(cl, "error: %s", why);
		else
			mon_reply(cl, "ok");
	} else if (n == 2 && !strcmp(cmd, "stop")) {
		mon_stop(m, arg);
		mon_reply(cl, "ok");
	} else if (n >= 1 && !strcmp(cmd, "state")) {
		mon_reply(cl, "%s %d %u %ld", monitor_state_name[m->state], m->status, m->restarts,
			  (long)m->qemu);
	} else if (n >= 1 && !strcmp(cmd, "wait")) {
		cl->st = CL_WAIT;
	} else if (n >= 1 && !strcmp(cmd, "stats")) {
		if (m->state != MON_RUNNING || !m->c || !m->c->guest_ready)
			mon_reply(cl, "error: the instance is not running");
		else if (channel_queue(m->c, MONOS_CHAN_STATS_REQ, NULL, 0) < 0)
			mon_reply(cl, "error: out of memory");
		else
			cl->st = CL_STATS;
	} else {
		mon_reply(cl, "error: unknown request");
	}
}

/* Bytes from a client: a whole line is a request; EOF hangs up. */
static void mon_client_read(struct monitor *m, struct mon_client *cl)
{
	ssize_t n = read(cl->fd, cl->line + cl->len, sizeof(cl->line) - 1 - cl->len);
	char *nl;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || cl->st != CL_READING) { /* gone, or talking out of turn */
		close(cl->fd);
		cl->st = CL_FREE;
		return;
	}
	cl->len += (size_t)n;
	cl->line[cl->len] = '\0';
	nl = strchr(cl->line, '\n');
	if (nl && !strncmp(cl->line, "exec\n", 5)) { /* frames follow (monitor_exec.c) */
		monitor_exec_begin(m, cl, (const uint8_t *)nl + 1, cl->len - 5);
	} else if (nl) {
		*nl = '\0';
		mon_request(m, cl);
	} else if (cl->len == sizeof(cl->line) - 1) {
		mon_reply(cl, "error: request too long");
	}
}

static void mon_accept(struct monitor *m)
{
	int fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (size_t i = 0; i < MONITOR_CLIENTS; i++)
		if (m->cl[i].st == CL_FREE) {
			m->cl[i] = (struct mon_client){ .fd = fd, .st = CL_READING };
			return;
		}
	close(fd); /* full: the client sees EOF and retries */
}

/* Answer every client waiting for `what` with `text`. */
void monitor_ctl_answer_all(struct monitor *m, enum mon_client_state what, const char *text)
{
	for (size_t i = 0; i < MONITOR_CLIENTS; i++)
		if (m->cl[i].st == what)
			mon_reply(&m->cl[i], "%s", text);
}

/* The guest's STATS frame, for the clients that asked. */
static void mon_answer_stats(struct monitor *m)
{
	const struct monos_chan_stats *s = &m->c->stats;
	char text[MONITOR_REPLY_MAX];

	snprintf(text, sizeof(text),
		 "mem_total=%llu mem_used=%llu cpu_ns=%llu uptime_ns=%llu rx_bytes=%llu "
		 "rx_packets=%llu tx_bytes=%llu tx_packets=%llu",
		 (unsigned long long)s->mem_total, (unsigned long long)s->mem_used,
		 (unsigned long long)s->cpu_ns, (unsigned long long)s->uptime_ns,
		 (unsigned long long)s->rx_bytes, (unsigned long long)s->rx_packets,
		 (unsigned long long)s->tx_bytes, (unsigned long long)s->tx_packets);
	m->stats_seen = m->c->stats_gen;
	monitor_ctl_answer_all(m, CL_STATS, text);
}

/* The session hook's fill(), also used between boots. */
size_t monitor_ctl_fill(void *arg, struct pollfd *pf, size_t max, int *timeout_ms)
{
	struct monitor *m = arg;
	size_t n = 0;
	uint64_t now = monitor_now_ms();

	if (m->c && m->c->stats_gen != m->stats_seen)
		mon_answer_stats(m);
	if (m->c && m->c->health_gen != m->health_seen) { /* the agent's HEALTH frame */
		m->health_seen = m->c->health_gen;
		m->health = m->c->health;
		monitor_record(m);
	}
	if (m->kill_at && now >= m->kill_at)
		mon_kill(m);
	if (m->kill_at && (*timeout_ms < 0 || m->kill_at - now < (uint64_t)*timeout_ms))
		*timeout_ms = (int)(m->kill_at - now);
	m->pf_client[n] = -1;
	pf[n++] = (struct pollfd){ .fd = m->lfd, .events = POLLIN };
	for (size_t i = 0; i < MONITOR_CLIENTS && n < max; i++)
		if (m->cl[i].st != CL_FREE) {
			short ev =
				m->cl[i].st == CL_EXEC ? monitor_exec_events(m, &m->cl[i]) : POLLIN;
			m->pf_client[n] = (int)i;
			pf[n++] = (struct pollfd){ .fd = m->cl[i].fd, .events = ev };
		}
	return n;
}

void monitor_ctl_handle(void *arg, const struct pollfd *pf, size_t n)
{
	struct monitor *m = arg;

	for (size_t i = 0; i < n; i++) {
		if (!pf[i].revents)
			continue;
		if (m->pf_client[i] < 0)
			mon_accept(m);
		else if (m->cl[m->pf_client[i]].st == CL_EXEC)
			monitor_exec_handle(m, &m->cl[m->pf_client[i]], pf[i].revents);
		else
			mon_client_read(m, &m->cl[m->pf_client[i]]);
	}
}

/* The listening control socket at `dir`/sock: the fd, or -1 (said). */
int monitor_ctl_listen(const char *dir)
{
	struct sockaddr_un sa;
	int fd = -1, dfd, rc = state_sock_addr(dir, &sa, &dfd);

	if (rc == 0) {
		unlink(sa.sun_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(fd, MONITOR_CLIENTS) < 0)
			rc = -errno;
	}
	if (rc < 0) {
		msg_error("cannot listen on %s/sock: %s", dir, strerror(-rc));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (dfd >= 0)
		close(dfd);
	return fd;
}
