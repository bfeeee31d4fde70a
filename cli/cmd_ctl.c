/*
 * The instance commands that act on instances: stop, kill, wait and rm
 * (docker's).  Each finds its instances by name, id or id prefix
 * (state_find) and talks to their monitors (monitor_request); a dead
 * instance's facts come from its record.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define CTL_STOP_DEFAULT_SECS 10    /* docker stop's grace time */
#define CTL_STOP_MAX_SECS     86400 /* a day: beyond it, a typo */
#define CTL_GONE_POLL_MS      10    /* how often a monitor's end is looked for */
#define CTL_GONE_MAX_MS	      10000 /* how long a killed monitor may take to end */

const char cmd_instances_help[] =
	"Instances started with 'monos run -d' (NAME is a name, an id or the start of\n"
	"an id):\n"
	"  create [OPTIONS] PROGRAM [ARGS...] as run -d, but the instance waits: it boots\n"
	"                                    at 'monos start NAME'\n"
	"  start NAME...                     start instances made by create\n"
	"  ps [-a] [-q]                      list the running instances (-a: all of them;\n"
	"                                    -q: ids only)\n"
	"  logs [-f] [--tail N] NAME         the program's output and monos' messages\n"
	"                                    (-f: follow until the instance ends)\n"
	"  stop [-t SECONDS] NAME...         SIGTERM to the program, SIGKILL after\n"
	"                                    SECONDS (default 10); no restart after it\n"
	"  kill [-s SIGNAL] NAME...          send SIGNAL (default KILL) to the program\n"
	"  wait NAME...                      wait for each instance's end, print its status\n"
	"  rm [-f] NAME...                   remove ended instances (-f: kill them first)\n"
	"  inspect NAME...                   what is known of them, as JSON\n"
	"  stats [--raw] [NAME...]           memory, CPU time and network counters, from\n"
	"                                    the guest (default: every running instance)\n";

int cmd_ctl_signo(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end)
		return n > 0 && n <= 64 ? (int)n : -1;
	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (unsigned i = 1; i <= 64; i++) {
		const char *name = channel_signal_name(i);

		if (!strncmp(name, "SIG", 3) && !strcasecmp(name + 3, s))
			return (int)i;
	}
	return -1;
}

/* Find `what`, saying why not: 0 or -1. */
static int find(const char *what, struct state_record *r)
{
	char err[512];

	if (state_find(what, r, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		return -1;
	}
	return 0;
}

/* Wait until the monitor of `dir` has ended (its lock is free): 0, or -1
 * after CTL_GONE_MAX_MS. */
static int wait_gone(const char *dir)
{
	struct timespec ts = { 0, CTL_GONE_POLL_MS * 1000000L };

	for (int t = 0; t < CTL_GONE_MAX_MS; t += CTL_GONE_POLL_MS) {
		if (!state_live(dir))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* The final status of the instance at `dir`, waiting for its end: 0 with
 * *status, or -1 (said). */
static int wait_status(const char *what, const char *dir, int *status)
{
	struct state_record *r = malloc(sizeof(*r));
	int rc = -1;

	if (!r) {
		msg_error("out of memory");
		return -1;
	}
	if (state_live(dir) && monitor_wait(dir, status) == 0) {
		free(r);
		wait_gone(dir); /* once wait has answered, nothing of it is live */
		return 0;
	}
	wait_gone(dir); /* it ended while we asked: the record has the status */
	if (state_read(dir, r) == 0 && !strcmp(state_get(r, "state"), "exited")) {
		*status = (int)state_get_num(r, "status", -1);
		rc = 0;
	} else {
		msg_error("%s ended without a status (its monitor was killed)", what);
	}
	free(r);
	return rc;
}

/* Send `req` to a live instance's monitor: 0, 1 when the monitor ended
 * before it could answer (the instance ended on its own meanwhile), or -1
 * having said why not. */
static int ask(const char *what, const char *dir, const char *req)
{
	char reply[MONITOR_REPLY_MAX];
	int rc = monitor_request(dir, req, reply, sizeof(reply), MONITOR_CLIENT_TIMEOUT_MS);

	if ((rc == -ENOENT || rc == -ECONNREFUSED || rc == -ECONNRESET) && wait_gone(dir) == 0)
		return 1;
	if (rc < 0) {
		msg_error("%s: its monitor does not answer: %s", what, strerror(-rc));
		return -1;
	}
	if (strcmp(reply, "ok")) {
		msg_error("%s: %s", what, reply);
		return -1;
	}
	return 0;
}

/* Parse "-X VALUE" (or -XVALUE) flags of one letter: returns the index of
 * the first NAME, or -1 (said).  `letters` lists the flags that take a
 * value; `bools` those that do not.  values[i]/set[i] for letter i. */
static int parse_flags(int argc, char **argv, const char *cmd, const char *letters,
		       const char *bools, const char **values, bool *set)
{
	int i;

	for (i = 0; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *p;

		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (argv[i][2] == '\0' && (p = strchr(bools, argv[i][1]))) {
			set[p - bools] = true;
			continue;
		}
		p = strchr(letters, argv[i][1]);
		if (!p || argv[i][1] == '-' || (!argv[i][2] && i + 1 >= argc)) {
			msg_error("%s: bad option '%s' (see 'monos help %s')", cmd, argv[i], cmd);
			return -1;
		}
		values[p - letters] = argv[i][2] ? argv[i] + 2 : argv[++i];
	}
	if (i >= argc) {
		msg_error("%s: no instance given (see 'monos help %s')", cmd, cmd);
		return -1;
	}
	return i;
}

/* What one command does to one instance: 0 (its name is then printed,
 * as docker does), or -1 having said why not.  `arg` is the command's. */
typedef int (*ctl_fn)(const char *what, const struct state_record *r, void *arg);

/* Run `fn` on each instance named from argv[i] on: the exit status. */
static int each(int i, int argc, char **argv, ctl_fn fn, void *arg)
{
	struct state_record *r = malloc(sizeof(*r));
	int rc = 0;

	if (i < 0 || !r) {
		free(r);
		return CLI_EXIT_ERROR;
	}
	for (; i < argc; i++) {
		if (find(argv[i], r) < 0 || fn(argv[i], r, arg) < 0) {
			rc = CLI_EXIT_ERROR;
			continue;
		}
		printf("%s\n", argv[i]);
		fflush(stdout);
	}
	free(r);
	return rc;
}

static int stop_one(const char *what, const struct state_record *r, void *arg)
{
	int st;

	if (!r->live)
		return 0; /* stopped already: docker says its name too */
	switch (ask(what, r->dir, arg)) {
	case 0:
		return wait_status(what, r->dir, &st) < 0 ? -1 : wait_gone(r->dir);
	case 1:
		return 0; /* it ended by itself meanwhile: stopped all the same */
	default:
		return -1;
	}
}

int cmd_ctl_stop(int argc, char **argv)
{
	const char *secs_text = NULL;
	char req[32], *end;
	int i = parse_flags(argc, argv, "stop", "t", "", &secs_text, NULL);
	unsigned long secs = CTL_STOP_DEFAULT_SECS;

	if (secs_text &&
	    ((secs = strtoul(secs_text, &end, 10)) > CTL_STOP_MAX_SECS || *end || !*secs_text)) {
		msg_error("stop -t %s: use a number of seconds", secs_text);
		i = -1;
	}
	snprintf(req, sizeof(req), "stop %lu", secs);
	return each(i, argc, argv, stop_one, req);
}

/* Say why a wrapper of monitor_client.c failed: -1. */
static int refused(const char *what, int rc, const char *why)
{
	msg_error("%s: %s", what,
		  rc == -EPROTO				 ? why
		  : rc == -ECONNREFUSED || rc == -ENOENT ? "it is not running"
							 : strerror(-rc));
	return -1;
}

static int kill_one(const char *what, const struct state_record *r, void *arg)
{
	char why[MONITOR_REPLY_MAX];
	int rc;

	if (!r->live) {
		msg_error("%s is not running", what);
		return -1;
	}
	rc = monitor_signal(r->dir, *(int *)arg, why, sizeof(why));
	return rc < 0 ? refused(what, rc, why) : 0;
}

int cmd_ctl_kill(int argc, char **argv)
{
	const char *sig_text = NULL;
	int i = parse_flags(argc, argv, "kill", "s", "", &sig_text, NULL);
	int signo = sig_text ? cmd_ctl_signo(sig_text) : SIGKILL;

	if (signo < 0) {
		msg_error("kill -s %s: no such signal", sig_text);
		i = -1;
	}
	return each(i, argc, argv, kill_one, &signo);
}

/* `start`: only an instance made by `monos create`, waiting at its gate. */
static int start_one(const char *what, const struct state_record *r, void *arg)
{
	char why[MONITOR_REPLY_MAX], state[16];
	int rc, status;
	pid_t qemu;

	(void)arg;
	if (!r->live) {
		msg_error("%s has ended: start runs instances made by 'monos create' once", what);
		return -1;
	}
	rc = monitor_state(r->dir, state, sizeof(state), &status, &qemu);
	if (rc < 0)
		return refused(what, rc, "");
	if (strcmp(state, "created")) {
		msg_error("%s has started already", what);
		return -1;
	}
	rc = monitor_start(r->dir, why, sizeof(why));
	return rc < 0 ? refused(what, rc, why) : 0;
}

int cmd_ctl_start(int argc, char **argv)
{
	return each(parse_flags(argc, argv, "start", "", "", NULL, NULL), argc, argv, start_one,
		    NULL);
}

int cmd_ctl_wait(int argc, char **argv)
{
	struct state_record *r = malloc(sizeof(*r));
	int i = parse_flags(argc, argv, "wait", "", "", NULL, NULL), rc = 0, st;

	if (i < 0 || !r) {
		free(r);
		return CLI_EXIT_ERROR;
	}
	for (; i < argc; i++) {
		if (find(argv[i], r) < 0 || wait_status(argv[i], r->dir, &st) < 0) {
			rc = CLI_EXIT_ERROR;
			continue;
		}
		printf("%d\n", st);
		fflush(stdout);
	}
	free(r);
	return rc;
}

static int rm_one(const char *what, const struct state_record *r, void *arg)
{
	bool force = *(bool *)arg;
	char req[] = "signal 9";
	int rc;

	/* A created instance has nothing running to lose: docker removes it. */
	if (r->live && !force && strcmp(state_get(r, "state"), "created")) {
		msg_error("%s is running: stop it first, or use 'monos rm -f'", what);
		return -1;
	}
	if (r->live && (ask(what, r->dir, req) < 0 || wait_gone(r->dir) < 0)) {
		msg_error("%s: its monitor did not end", what);
		return -1;
	}
	if ((rc = state_remove(r->dir)) < 0) {
		msg_error("cannot remove %s: %s", r->dir, strerror(-rc));
		return -1;
	}
	return 0;
}

int cmd_ctl_rm(int argc, char **argv)
{
	bool force = false;

	return each(parse_flags(argc, argv, "rm", "", "f", NULL, &force), argc, argv, rm_one,
		    &force);
}
