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
 * The control socket (monitor_ctl.c) speaks one request line and one
 * answer line per connection (monitor_request in cli.h lists them).
 * SIGINT, SIGTERM or SIGHUP to the monitor itself mean stop: forwarded to
 * the program while it runs (by the session), and no restart after it.
 * The monitor keeps its caller's working directory: each boot packs the
 * guest's cwd from it, as the foreground run does.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "monitor_internal.h"

const char *const monitor_state_name[] = { "created", "running", "restarting", "exited" };

static int64_t mon_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *const monitor_health_name[] = { "none", "starting", "healthy", "unhealthy" };

/* Write the record: the state now, then the lines that never change
 * (the state first: it must survive whatever else). */
void monitor_record(struct monitor *m)
{
	char *text;

	if (asprintf(&text,
		     "state=%s\nstatus=%d\nstarted=%lld\nfinished=%lld\nrestarts=%u\n"
		     "monitor_pid=%ld\nqemu_pid=%ld\nhealth=%s\n%s",
		     monitor_state_name[m->state], m->status, (long long)m->started_ns,
		     (long long)m->finished_ns, m->restarts, (long)m->pid, (long)m->qemu,
		     monitor_health_name[m->health], m->fixed) < 0)
		return;
	if (state_write(m->dir, text) < 0)
		msg_error("cannot write the record in %s", m->dir);
	free(text);
}

void monitor_ports_json(FILE *f, const char *publish)
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

const char *monitor_address(const struct run_options *o)
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
	monitor_ports_json(f, o->publish);
	fputs("\naddresses=[", f);
	if (monitor_address(o))
		state_json_quote(f, monitor_address(o));
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

/* A signal to the monitor with no boot running (while one runs, the
 * session forwards it to the program): SIGINT, SIGTERM or SIGHUP stop the
 * instance, as `monos stop` would; others (SIGCHLD of the last QEMU) are
 * dropped. */
static void mon_idle_signal(struct monitor *m)
{
	struct signalfd_siginfo si;

	while (read(m->sigfd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP)
			m->stop_requested = true;
}

/* Serve the socket with no boot running: until the gate opens (`until`
 * 0), or until the CLOCK_MONOTONIC ms `until`; either ends at a stop. */
static void mon_idle(struct monitor *m, uint64_t until)
{
	struct pollfd pf[SESSION_HOOK_FDS + 1];

	for (;;) {
		uint64_t now = monitor_now_ms();
		int timeout = -1;
		size_t n;

		if (m->stop_requested || (!until && m->gate_open) || (until && now >= until))
			return;
		if (until)
			timeout = (int)(until - now);
		n = monitor_ctl_fill(m, pf, SESSION_HOOK_FDS, &timeout);
		pf[n] = (struct pollfd){ .fd = m->sigfd, .events = POLLIN };
		if (poll(pf, n + 1, timeout) < 0 && errno != EINTR)
			return;
		monitor_ctl_handle(m, pf, n);
		if (pf[n].revents)
			mon_idle_signal(m);
	}
}

static void mon_started(void *arg, struct channel *c, pid_t qemu)
{
	struct monitor *m = arg;

	m->c = c;
	c->stream_fn = monitor_exec_stream; /* `monos exec` (monitor_exec.c) */
	c->stream_arg = m;
	m->qemu = qemu;
	m->stats_seen = c->stats_gen;
	m->health_seen = c->health_gen;
	m->health = MONOS_HEALTH_NONE; /* until this boot's agent says */
	m->state = MON_RUNNING;
	m->started_ns = mon_realtime_ns();
	monitor_record(m);
	monitor_exec_boot(m);
}

/* One boot: repack (fresh per-run data), run, and take the status. */
static void mon_boot(struct monitor *m)
{
	struct session_hook hook = { .arg = m,
				     .fill = monitor_ctl_fill,
				     .handle = monitor_ctl_handle };
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
	if (io.stop_signo) /* the monitor itself was told to stop: no restart */
		m->stop_requested = true;
	m->c = NULL;
	m->qemu = 0;
	m->kill_at = 0;
	m->health = MONOS_HEALTH_NONE; /* nothing runs to be healthy */
	m->finished_ns = mon_realtime_ns();
	monitor_ctl_answer_all(m, CL_STATS, "error: the instance has ended");
	monitor_exec_lost(m);
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
	m->sigfd = session_open_signals(); /* -1: idle signals are not watched */
	monitor_record(m);
	mon_idle(m, 0); /* the gate: open already unless gated */
	while (!m->stop_requested) {
		began = monitor_now_ms();
		mon_boot(m);
		if (!mon_restart_wanted(m))
			break;
		if (monitor_now_ms() - began >= MONITOR_BACKOFF_RESET_MS)
			delay = MONITOR_BACKOFF_FIRST_MS;
		m->restarts++;
		m->state = MON_RESTARTING;
		monitor_record(m);
		mon_idle(m, monitor_now_ms() + delay);
		delay = delay * 2 > MONITOR_BACKOFF_MAX_MS ? MONITOR_BACKOFF_MAX_MS : delay * 2;
	}
	if (m->status < 0) /* stopped before it ever ran */
		m->status = 0;
	m->state = MON_EXITED;
	if (!m->finished_ns)
		m->finished_ns = mon_realtime_ns();
	monitor_record(m);
	snprintf(text, sizeof(text), "%d", m->status);
	monitor_ctl_answer_all(m, CL_WAIT, text);
	monitor_ctl_answer_all(m, CL_READING, "error: the instance has ended");
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

/* In the child: its own session, stdin /dev/null, stdout and stderr the
 * log (the OCI runtime's keep_stdio: what it was given), nothing else of
 * the caller's open. */
static void mon_become(struct monitor *m, int lock, int logfd)
{
	int keep[OPTIONS_MAX_DISKS + 3] = { lock, logfd, m->lfd }, nkeep = 3;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	for (size_t i = 0; i < m->j->o->ndisks; i++)
		keep[nkeep++] = m->j->o->disks[i].lock_fd;
	setsid();
	if (m->j->o->keep_stdio) { /* the OCI runtime's: the manager's pipes or console */
		if (null >= 0)
			close(null);
		mon_close_fds(keep, (size_t)nkeep);
		return;
	}
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
	    (m.lfd = monitor_ctl_listen(dir)) < 0)
		goto out;
	logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0) {
		msg_error("cannot create %s: %s", logp, strerror(errno));
		goto out;
	}
	monitor_record(&m); /* before the caller returns: inspect works at once */
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
	free(o->agent.instance);
	o->agent.instance = strdup(id); /* the etcd key's ID: the instance's (NULL: random) */
	pid = monitor_create(o, dir, id, gated);
	if (pid < 0) {
		state_remove(dir);
		return (int)-pid;
	}
	printf("%s\n", id);
	return 0;
}
