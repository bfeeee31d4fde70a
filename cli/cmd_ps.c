/*
 * `monos ps` and `monos logs`: what the instances are, and what their
 * programs wrote.  Both read the state directory only (state.c); liveness
 * is the lock's, never a pid's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define PS_COMMAND_WIDTH 24   /* characters of COMMAND shown */
#define LOGS_POLL_MS	 50   /* how often -f looks for more */
#define LOGS_CHUNK	 8192 /* bytes read at once */

/* "N seconds" (minutes, hours, days) since the CLOCK_REALTIME ns `then`. */
static void ago(int64_t then, char *out, size_t n)
{
	static const struct {
		long secs;
		const char *unit;
	} units[] = { { 86400, "day" }, { 3600, "hour" }, { 60, "minute" }, { 1, "second" } };
	long d = (long)(time(NULL) - then / 1000000000);

	if (d < 0)
		d = 0;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (d >= units[i].secs || units[i].secs == 1) {
			long v = d / units[i].secs;
			snprintf(out, n, "%ld %s%s", v, units[i].unit, v == 1 ? "" : "s");
			return;
		}
}

/* docker's STATUS column: "Up 5 seconds", "Up 5 seconds (healthy)" (the
 * agent's health check, recorded by the monitor), "Exited (3) 2 seconds
 * ago"... */
static void status_text(const struct state_record *r, char *out, size_t n)
{
	const char *st = state_shown(r);
	char t[64];

	if (!strcmp(st, "running")) {
		const char *h = state_get(r, "health");

		ago(state_get_num(r, "started", 0), t, sizeof(t));
		if (!strcmp(h, "starting")) /* docker's words */
			snprintf(out, n, "Up %s (health: starting)", t);
		else if (!strcmp(h, "healthy") || !strcmp(h, "unhealthy"))
			snprintf(out, n, "Up %s (%s)", t, h);
		else
			snprintf(out, n, "Up %s", t);
	} else if (!strcmp(st, "restarting")) {
		snprintf(out, n, "Restarting (%lld)", state_get_num(r, "status", -1));
	} else if (!strcmp(st, "created")) {
		snprintf(out, n, "Created");
	} else if (strcmp(state_get(r, "state"), "exited")) {
		snprintf(out, n, "Exited (monitor lost)"); /* killed, or a reboot */
	} else {
		ago(state_get_num(r, "finished", 0), t, sizeof(t));
		snprintf(out, n, "Exited (%lld) %s ago", state_get_num(r, "status", -1), t);
	}
}

static int by_created(const void *a, const void *b)
{
	long long x = state_get_num(a, "created", 0), y = state_get_num(b, "created", 0);

	return x < y ? 1 : x > y ? -1 : 0; /* newest first */
}

/* The ports column: the record's JSON array without its punctuation. */
static void ports_text(const struct state_record *r, char *out, size_t n)
{
	size_t len = 0;

	for (const char *p = state_get(r, "ports"); *p && len + 1 < n; p++)
		if (*p != '[' && *p != ']' && *p != '"')
			out[len++] = *p == ',' ? ' ' : *p;
	out[len] = '\0';
}

static void ps_row(const struct state_record *r)
{
	char status[128], created[64], ports[256];

	status_text(r, status, sizeof(status));
	ago(state_get_num(r, "created", 0), created, sizeof(created));
	ports_text(r, ports, sizeof(ports));
	printf("%-12.12s  %-20s  %-*.*s  %-16s  %-36s  %s\n", state_get(r, "id"),
	       state_get(r, "name"), PS_COMMAND_WIDTH, PS_COMMAND_WIDTH, state_get(r, "command"),
	       strcat(created, " ago"), status, ports);
}

int cmd_ps_main(int argc, char **argv)
{
	struct state_record *recs;
	bool all = false, quiet = false;
	char err[512];
	size_t n;

	for (int i = 0; i < argc; i++) {
		bool letters = argv[i][0] == '-' && argv[i][1] && argv[i][1] != '-' &&
			       strspn(argv[i] + 1, "aq") == strlen(argv[i] + 1); /* -a, -q, -aq */

		all |= !strcmp(argv[i], "--all") || (letters && strchr(argv[i], 'a'));
		quiet |= !strcmp(argv[i], "--quiet") || (letters && strchr(argv[i], 'q'));
		if (!letters && strcmp(argv[i], "--all") && strcmp(argv[i], "--quiet")) {
			msg_error("ps: unknown option '%s' (see 'monos help ps')", argv[i]);
			return CLI_EXIT_ERROR;
		}
	}
	if (state_list(&recs, &n, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		return CLI_EXIT_ERROR;
	}
	if (n) /* qsort wants a non-NULL base even for none */
		qsort(recs, n, sizeof(*recs), by_created);
	if (!quiet)
		printf("%-12s  %-20s  %-*s  %-16s  %-36s  %s\n", "ID", "NAME", PS_COMMAND_WIDTH,
		       "COMMAND", "CREATED", "STATUS", "PORTS");
	for (size_t i = 0; i < n; i++) {
		if (!all && !recs[i].live)
			continue;
		if (quiet)
			printf("%.12s\n", state_get(&recs[i], "id"));
		else
			ps_row(&recs[i]);
	}
	free(recs);
	return 0;
}

/* Where the last `lines` lines of `fd` (size `size`) start. */
static off_t tail_start(int fd, off_t size, unsigned long lines)
{
	char buf[LOGS_CHUNK];
	off_t pos = size;
	unsigned long seen = 0;

	if (!lines)
		return size;
	while (pos > 0) {
		size_t len = pos < (off_t)sizeof(buf) ? (size_t)pos : sizeof(buf);
		ssize_t got = pread(fd, buf, len, pos - (off_t)len);

		if (got != (ssize_t)len)
			return 0;
		for (size_t i = len; i-- > 0;) {
			/* A final newline ends the last line; it starts none. */
			if (buf[i] == '\n' && pos - (off_t)len + (off_t)i != size - 1 &&
			    ++seen == lines)
				return pos - (off_t)len + (off_t)i + 1;
		}
		pos -= (off_t)len;
	}
	return 0;
}

/* Copy `fd` from its offset to stdout until EOF: 0, or -1 on EPIPE. */
static int copy_out(int fd)
{
	char buf[LOGS_CHUNK];
	ssize_t got;

	while ((got = read(fd, buf, sizeof(buf))) > 0)
		if (msg_write_full(STDOUT_FILENO, buf, (size_t)got) < 0)
			return -1;
	return 0;
}

/* The options of logs: 0 with *follow, *tail (-1: all) and *which, or -1. */
static int logs_args(int argc, char **argv, bool *follow, long *tail, const char **which)
{
	char *end;

	*which = NULL;
	for (int i = 0; i < argc; i++) {
		const char *v = NULL;

		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow"))
			*follow = true;
		else if (!strcmp(argv[i], "--tail") || !strcmp(argv[i], "-n"))
			v = i + 1 < argc ? argv[++i] : "";
		else if (!strncmp(argv[i], "--tail=", 7))
			v = argv[i] + 7;
		else if (argv[i][0] != '-' && !*which)
			*which = argv[i];
		else
			return msg_error("logs: unexpected '%s' (see 'monos help logs')", argv[i]),
			       -1;
		if (v && !strcmp(v, "all"))
			*tail = -1;
		else if (v && ((*tail = strtol(v, &end, 10)) < 0 || *end || !*v))
			return msg_error("logs --tail %s: use a number of lines or all", v), -1;
	}
	if (!*which)
		return msg_error("logs: no instance given (see 'monos help logs')"), -1;
	return 0;
}

int cmd_ps_logs(int argc, char **argv)
{
	struct state_record *r = malloc(sizeof(*r));
	struct timespec nap = { 0, LOGS_POLL_MS * 1000000L };
	char err[512], path[STATE_PATH_MAX];
	bool follow = false, live;
	long tail = -1;
	const char *which;
	struct stat st;
	int fd, rc = 0;

	if (!r || logs_args(argc, argv, &follow, &tail, &which) < 0) {
		free(r);
		return CLI_EXIT_ERROR;
	}
	if (state_find(which, r, err, sizeof(err)) < 0 ||
	    state_path(path, sizeof(path), r->dir, "log") < 0) {
		msg_error("%s", err);
		free(r);
		return CLI_EXIT_ERROR;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		msg_error("cannot read %s: %s", path, strerror(errno));
		free(r);
		return CLI_EXIT_ERROR;
	}
	if (tail >= 0 && fstat(fd, &st) == 0)
		lseek(fd, tail_start(fd, st.st_size, (unsigned long)tail), SEEK_SET);
	do { /* -f: live is read before the copy, so nothing after the end is lost */
		live = follow && state_live(r->dir);
		if (copy_out(fd) < 0)
			break;
		if (live)
			nanosleep(&nap, NULL);
	} while (live);
	close(fd);
	free(r);
	return rc;
}
