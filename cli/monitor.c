/*
 * The per-instance monitor (design.md contract 24): the process that owns
 * one detached instance's QEMU, its channel, its log file, its restart
 * policy and its control socket, and ends with PID 1's exit status.
 *
 * It is `monos` forked, not re-executed.  By the time it starts, run_job_
 * prepare() has checked the program, resolved every library and taken the
 * volumes' flocks; a fork keeps all of it (and the held locks) as it is,
 * where a re-exec would have to serialise struct run_options, redo every
 * check and retake the locks with a window between.  It also lets the
 * monitor repack the image before each boot, so a restarted instance gets
 * a fresh random seed and wall-clock time, never the first boot's.  The
 * price: the monitor is the same binary image as the `monos` that started
 * it (an upgrade of monos under a live instance changes nothing for it).
 *
 * Life: created (gated: waiting for a start request, before QEMU starts:
 * the boot to just before exec is a later optimisation), running (a boot
 * under run_job_boot, the control socket watched through the session's
 * hook), restarting (the delay before the next boot, docker's: 100 ms
 * doubling to 60 s, back to 100 ms after a run of 10 s), exited.  Each
 * change is written to the record (state.c).  The lock taken before the
 * fork is held until the monitor's end, whatever ends it.
 *
 * The control socket speaks one request line and one answer line per
 * connection (monitor_request in cli.h lists them).  `wait` and `stats`
 * answer later: at the instance's end, and when the guest's STATS frame
 * arrives.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define MONITOR_CLIENTS		 (SESSION_HOOK_FDS - 1) /* one pollfd is the listener */
#define MONITOR_LINE_MAX	 128			/* a request line */
#define MONITOR_BACKOFF_FIRST_MS 100			/* docker's restart delays */
#define MONITOR_BACKOFF_MAX_MS	 60000
#define MONITOR_BACKOFF_RESET_MS 10000 /* a run this long starts the delays again */
#define MONITOR_KILLED_STATUS	 137   /* 128 + SIGKILL, as docker kill gives */
#define MONITOR_IMAGE		 "image.cpio"
/* The record's args and command are capped (an argv may be 2 MiB) so that
 * the whole record stays within STATE_RECORD_MAX. */
#define MONITOR_ARGS_MAX    8192
#define MONITOR_COMMAND_MAX 256

enum mon_client_state { CL_FREE, CL_READING, CL_WAIT, CL_STATS };

struct mon_client {
	int fd;
	enum mon_client_state st;
	char line[MONITOR_LINE_MAX];
	size_t len;
};

enum mon_state { MON_CREATED, MON_RUNNING, MON_RESTARTING, MON_EXITED };
static const char *const mon_state_name[] = { "created", "running", "restarting", "exited" };

struct monitor {
	struct run_job *j;
	const char *dir;
	char *fixed; /* the record's lines that never change */
	int lfd;     /* the listening control socket */
	struct mon_client cl[MONITOR_CLIENTS];
	int pf_client[SESSION_HOOK_FDS]; /* pollfd index -> client, -1: listener */
	enum mon_state state;
	bool gate_open, stop_requested, killed;
	uint64_t kill_at;  /* CLOCK_MONOTONIC ms of stop's SIGKILL; 0: none */
	struct channel *c; /* the boot's channel while running, else NULL */
	pid_t qemu;
	pid_t pid;	     /* the monitor's own, once forked; 0 before */
	uint64_t stats_seen; /* c->stats_gen answered already */
	int status;	     /* the last boot's exit status; -1: none yet */
	unsigned restarts;
	int64_t started_ns, finished_ns; /* CLOCK_REALTIME; 0: not yet */
};

static uint64_t mon_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int64_t mon_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Write the record: the state now, then the lines that never change
 * (the state first: it must survive whatever else). */
static void mon_record(struct monitor *m)
{
	char *text;

	if (asprintf(&text,
		     "state=%s\nstatus=%d\nstarted=%lld\nfinished=%lld\nrestarts=%u\n"
		     "monitor_pid=%ld\nqemu_pid=%ld\n%s",
		     mon_state_name[m->state], m->status, (long long)m->started_ns,
		     (long long)m->finished_ns, m->restarts, (long)m->pid, (long)m->qemu,
		     m->fixed) < 0)
		return;
	if (state_write(m->dir, text) < 0)
		msg_error("cannot write the record in %s", m->dir);
	free(text);
}

/* The -p forwards as "IP:HOST->GUEST/PROTO" in a JSON array. */
static void mon_ports_json(FILE *f, const char *publish)
{
	char proto[8], ip[64];
	unsigned host, guest;
	const char *p = publish;
	bool first = true;

	fputc('[', f);
	while (p && (p = strstr(p, ",hostfwd=")) &&
	       sscanf(p, ",hostfwd=%7[a-z]:%63[0-9.]:%u-:%u", proto, ip, &host, &guest) == 4) {
		fprintf(f, "%s\"%s:%u->%u/%s\"", first ? "" : ",", ip, host, guest, proto);
		first = false;
		p++;
	}
	fputc(']', f);
}

/* The guest's addresses as options.c knows them: --ip, else the default. */
static const char *mon_address(const struct run_options *o)
{
	if (o->net == OPTIONS_NET_NONE)
		return NULL;
	return o->ip ? o->ip : "10.0.2.15/24"; /* options_run_help's default */
}

static const char *mon_restart_text(const struct run_options *o, char *buf, size_t n)
{
	if (o->restart == OPTIONS_RESTART_ALWAYS)
		return "always";
	if (o->restart == OPTIONS_RESTART_NO)
		return "no";
	if (!o->restart_max)
		return "on-failure";
	snprintf(buf, n, "on-failure:%lu", o->restart_max);
	return buf;
}

/* The record's lines that never change, made once. */
static int mon_fixed(struct monitor *m, const char *id)
{
	const struct run_options *o = m->j->o;
	size_t len;
	char rbuf[32];
	FILE *f = open_memstream(&m->fixed, &len);

	if (!f)
		return -1;
	fprintf(f, "id=%s\nname=%s\ncreated=%lld\nrestart=%s\nmemory=%llu\nports=", id,
		o->name ? o->name : id, (long long)mon_realtime_ns(),
		mon_restart_text(o, rbuf, sizeof(rbuf)), (unsigned long long)o->memory);
	mon_ports_json(f, o->publish);
	fputs("\naddresses=[", f);
	if (mon_address(o))
		state_json_quote(f, mon_address(o));
	fputs("]\ncommand=", f);
	for (int i = 0, n = 0; i < o->argc && n < MONITOR_COMMAND_MAX; i++) {
		const char *p = o->argv[i], *base = strrchr(p, '/');

		fputs(i ? " " : "", f); /* one line, PROGRAM's base name: controls as '?' */
		for (p = !i && base && base[1] ? base + 1 : p; *p && n < MONITOR_COMMAND_MAX;
		     p++, n++)
			fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, f);
	}
	fputs("\nargs=[", f); /* last: the longest */
	for (int i = 0; i < o->argc; i++) {
		fputs(i ? "," : "", f);
		if (ftell(f) + strlen(o->argv[i]) * 6 > MONITOR_ARGS_MAX) { /* \u00XX each */
			fputs("\"...\"", f);
			break;
		}
		state_json_quote(f, o->argv[i]);
	}
	fputs("]\n", f);
	return fclose(f) ? -1 : 0;
}

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
		m->kill_at = mon_now_ms() + secs * 1000ull;
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
		mon_reply(cl, "%s %d %u %ld", mon_state_name[m->state], m->status, m->restarts,
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
	if (nl) {
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
static void mon_answer_all(struct monitor *m, enum mon_client_state what, const char *text)
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
	mon_answer_all(m, CL_STATS, text);
}

/* The session hook's fill(), also used between boots. */
static size_t mon_fill(void *arg, struct pollfd *pf, size_t max, int *timeout_ms)
{
	struct monitor *m = arg;
	size_t n = 0;
	uint64_t now = mon_now_ms();

	if (m->c && m->c->stats_gen != m->stats_seen)
		mon_answer_stats(m);
	if (m->kill_at && now >= m->kill_at)
		mon_kill(m);
	if (m->kill_at && (*timeout_ms < 0 || m->kill_at - now < (uint64_t)*timeout_ms))
		*timeout_ms = (int)(m->kill_at - now);
	m->pf_client[n] = -1;
	pf[n++] = (struct pollfd){ .fd = m->lfd, .events = POLLIN };
	for (size_t i = 0; i < MONITOR_CLIENTS && n < max; i++)
		if (m->cl[i].st != CL_FREE) {
			m->pf_client[n] = (int)i;
			pf[n++] = (struct pollfd){ .fd = m->cl[i].fd, .events = POLLIN };
		}
	return n;
}

static void mon_handle(void *arg, const struct pollfd *pf, size_t n)
{
	struct monitor *m = arg;

	for (size_t i = 0; i < n; i++) {
		if (!pf[i].revents)
			continue;
		if (m->pf_client[i] < 0)
			mon_accept(m);
		else
			mon_client_read(m, &m->cl[m->pf_client[i]]);
	}
}

/* Serve the socket with no boot running: until the gate opens (`until`
 * 0), or until the CLOCK_MONOTONIC ms `until`; either ends at a stop. */
static void mon_idle(struct monitor *m, uint64_t until)
{
	struct pollfd pf[SESSION_HOOK_FDS];

	for (;;) {
		uint64_t now = mon_now_ms();
		int timeout = -1;
		size_t n;

		if (m->stop_requested || (!until && m->gate_open) || (until && now >= until))
			return;
		if (until)
			timeout = (int)(until - now);
		n = mon_fill(m, pf, SESSION_HOOK_FDS, &timeout);
		if (poll(pf, n, timeout) < 0 && errno != EINTR)
			return;
		mon_handle(m, pf, n);
	}
}

static void mon_started(void *arg, struct channel *c, pid_t qemu)
{
	struct monitor *m = arg;

	m->c = c;
	m->qemu = qemu;
	m->stats_seen = c->stats_gen;
	m->state = MON_RUNNING;
	m->started_ns = mon_realtime_ns();
	mon_record(m);
}

/* One boot: repack (fresh per-run data), run, and take the status. */
static void mon_boot(struct monitor *m)
{
	struct session_hook hook = { .arg = m, .fill = mon_fill, .handle = mon_handle };
	struct run_io io = { .hook = &hook, .started = mon_started, .arg = m };
	char image[STATE_PATH_MAX];

	m->killed = false;
	if (state_path(image, sizeof(image), m->dir, MONITOR_IMAGE) < 0 ||
	    run_job_pack(m->j, image) < 0) {
		m->status = CLI_EXIT_ERROR;
		m->stop_requested = true; /* the same packing would fail again */
		return;
	}
	m->j->cfg.initrd = image;
	m->status = run_job_boot(m->j, &io);
	if (m->killed && !io.had_exit)
		m->status = MONITOR_KILLED_STATUS;
	m->c = NULL;
	m->qemu = 0;
	m->kill_at = 0;
	m->finished_ns = mon_realtime_ns();
	mon_answer_all(m, CL_STATS, "error: the instance has ended");
}

/* Whether the policy restarts after a boot that ended with m->status. */
static bool mon_restart_wanted(const struct monitor *m)
{
	const struct run_options *o = m->j->o;

	if (m->stop_requested || o->restart == OPTIONS_RESTART_NO)
		return false;
	if (o->restart == OPTIONS_RESTART_ALWAYS)
		return true;
	return m->status != 0 && (!o->restart_max || m->restarts < o->restart_max);
}

static void mon_unlink(const struct monitor *m, const char *file)
{
	char path[STATE_PATH_MAX];

	if (state_path(path, sizeof(path), m->dir, file) == 0)
		unlink(path);
}

/* The monitor's life after the fork; returns PID 1's last status. */
static int mon_main(struct monitor *m)
{
	uint64_t delay = MONITOR_BACKOFF_FIRST_MS, began;
	char text[16];

	m->pid = getpid();
	mon_record(m);
	mon_idle(m, 0); /* the gate: open already unless gated */
	while (!m->stop_requested) {
		began = mon_now_ms();
		mon_boot(m);
		if (!mon_restart_wanted(m))
			break;
		if (mon_now_ms() - began >= MONITOR_BACKOFF_RESET_MS)
			delay = MONITOR_BACKOFF_FIRST_MS;
		m->restarts++;
		m->state = MON_RESTARTING;
		mon_record(m);
		mon_idle(m, mon_now_ms() + delay);
		delay = delay * 2 > MONITOR_BACKOFF_MAX_MS ? MONITOR_BACKOFF_MAX_MS : delay * 2;
	}
	if (m->status < 0) /* stopped before it ever ran */
		m->status = 0;
	m->state = MON_EXITED;
	if (!m->finished_ns)
		m->finished_ns = mon_realtime_ns();
	mon_record(m);
	snprintf(text, sizeof(text), "%d", m->status);
	mon_answer_all(m, CL_WAIT, text);
	mon_answer_all(m, CL_READING, "error: the instance has ended");
	mon_unlink(m, "sock");	      /* nobody to answer from here on */
	mon_unlink(m, MONITOR_IMAGE); /* a restart would repack it anyway */
	return m->status;
}

/* Close every inherited fd but 0-2 and `keep`: the monitor outlives its
 * caller, and must not hold its pipes (a shell's $(monos run -d) would
 * wait for their end). */
static void mon_close_fds(const int *keep, size_t nkeep)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self = d ? dirfd(d) : -1;

	while (d && (e = readdir(d))) {
		int fd = atoi(e->d_name);
		bool kept = fd <= 2 || fd == self || e->d_name[0] == '.';

		for (size_t i = 0; i < nkeep && !kept; i++)
			kept = keep[i] == fd;
		if (!kept)
			close(fd);
	}
	if (d)
		closedir(d);
}

/* The listening control socket at `dir`/sock: the fd, or -1 (said). */
static int mon_listen(const char *dir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (state_path(sa.sun_path, sizeof(sa.sun_path), dir, "sock") < 0) {
		msg_error("the state directory's path is too long for a socket: %s", dir);
		return -1;
	}
	unlink(sa.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		msg_error("cannot listen on %s: %s", sa.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* In the child: its own session, stdin /dev/null, stdout and stderr the
 * log, nothing else of the caller's open. */
static void mon_become(struct monitor *m, int lock, int logfd)
{
	int keep[OPTIONS_MAX_DISKS + 3] = { lock, logfd, m->lfd }, nkeep = 3;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	for (size_t i = 0; i < m->j->o->ndisks; i++)
		keep[nkeep++] = m->j->o->disks[i].lock_fd;
	setsid();
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	dup2(logfd, STDOUT_FILENO);
	dup2(logfd, STDERR_FILENO);
	mon_close_fds(keep, (size_t)nkeep);
}

pid_t monitor_spawn(struct run_job *j, const char *dir, const char *id, bool gated)
{
	static struct monitor m; /* the child's for its life */
	char logp[STATE_PATH_MAX];
	int lock, logfd = -1;
	pid_t pid = -1;

	m = (struct monitor){ .j = j, .dir = dir, .gate_open = !gated, .status = -1, .lfd = -1 };
	lock = state_lock(dir);
	if (lock < 0) {
		msg_error("cannot lock the instance in %s: %s", dir, strerror(-lock));
		return -1;
	}
	if (mon_fixed(&m, id) < 0 || state_path(logp, sizeof(logp), dir, "log") < 0 ||
	    (m.lfd = mon_listen(dir)) < 0)
		goto out;
	logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0) {
		msg_error("cannot create %s: %s", logp, strerror(errno));
		goto out;
	}
	mon_record(&m); /* before the caller returns: inspect works at once */
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		mon_become(&m, lock, logfd);
		exit(mon_main(&m));
	}
	if (pid < 0)
		msg_error("cannot start the monitor: %s", strerror(errno));
out:
	if (logfd >= 0)
		close(logfd);
	if (m.lfd >= 0)
		close(m.lfd);
	close(lock); /* the child's copy holds the lock from here */
	free(m.fixed);
	return pid;
}

pid_t monitor_create(struct run_options *o, const char *dir, const char *id, bool gated)
{
	struct run_job j;
	int rc = run_job_prepare(&j, o);
	pid_t pid = rc ? -rc : monitor_spawn(&j, dir, id, gated);

	run_job_free(&j);
	return pid < 0 && !rc ? -CLI_EXIT_ERROR : pid;
}

int monitor_detach(struct run_options *o, bool gated)
{
	char dir[STATE_PATH_MAX], id[STATE_ID_LEN + 1], err[512];
	pid_t pid;

	if (state_create(o->name, dir, sizeof(dir), id, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		return CLI_EXIT_ERROR;
	}
	pid = monitor_create(o, dir, id, gated);
	if (pid < 0) {
		state_remove(dir);
		return (int)-pid;
	}
	printf("%s\n", id);
	return 0;
}
