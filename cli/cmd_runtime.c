/*
 * `monos-runtime`: the OCI runtime, a drop-in for runc as podman's conmon,
 * containerd's runc shim and `ctr --runc-binary` call it (design.md
 * contract 24: `monos` run under that name).  This file is its command
 * line and its voice: runc's global flags (--root, --log, --log-format,
 * --debug, --systemd-cgroup and --rootless accepted), the dispatch to the
 * commands, and errors written as runc writes them.
 *
 * runc's error convention (runc 1.1, main.go fatalWithCode): the error
 * goes to the log as a logrus entry at level "error"; when the log is not
 * stderr, the bare message is also printed on stderr.  The log entry is
 *   text: time="2026-12-07T17:41:18Z" level=error msg="..."
 *   json: {"level":"error","msg":"...","time":"2026-12-07T17:41:18Z"}
 * podman and containerd read either form and show the message.
 *
 * The commands live in cmd_runtime_state.c (state, list, features, the
 * state directory) and cmd_runtime_life.c (create, start, kill, delete).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"

#define RUNTIME_VERSION "0.1"

static const char runtime_help[] =
	"Usage: monos-runtime [GLOBAL OPTIONS] COMMAND [OPTIONS] ID\n"
	"\n"
	"An OCI runtime (runtime-spec " OCI_SPEC_VERSION
	"), a drop-in for runc: each container is a\n"
	"monos instance, a virtual machine running the bundle's process.\n"
	"\n"
	"Commands:\n"
	"  create [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] ID\n"
	"                   boot the container up to its start; the pid in FILE is its\n"
	"                   monitor's, which exits with the program's status\n"
	"  start ID         start the program of a created container\n"
	"  state ID         the container's state as JSON\n"
	"  kill ID [SIGNAL] send SIGNAL (default SIGTERM) to the container's process\n"
	"  delete [--force] ID\n"
	"                   remove a stopped container (--force: kill it first)\n"
	"  list [--format table|json] [--quiet]\n"
	"                   the containers under --root\n"
	"  features         what this runtime supports, as JSON\n"
	"  exec [--process FILE] [-d] [--pid-file F] [--cwd D] [--env K=V]...\n"
	"       [--user U:G] [-t --console-socket SOCK] ID [CMD...]\n"
	"                   run a second process in a running container, as runc\n"
	"\n"
	"Global options:\n"
	"  --root DIR               state directory (default " RUNTIME_DEFAULT_ROOT ")\n"
	"  --log FILE               write the log (errors, --debug lines) to FILE\n"
	"  --log-format text|json   the log's format, as runc's (default text)\n"
	"  --debug                  log debug lines too\n"
	"  --systemd-cgroup, --rootless VALUE\n"
	"                           accepted for runc's callers; no effect\n"
	"  -v, --version            show the version\n"
	"  -h, --help               show this help\n";

struct runtime_global cmd_runtime_g = { .root = RUNTIME_DEFAULT_ROOT };

/* Now, as logrus writes it: RFC 3339 in UTC. */
static void runtime_time(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* @s quoted for the log: JSON string escapes (logrus quotes text values
 * with Go's strconv.Quote, whose escapes agree for what we write). */
void cmd_runtime_quote(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* One log entry at @level on @f. */
static void runtime_entry(FILE *f, const char *level, const char *msg)
{
	char when[32];

	runtime_time(when, sizeof(when));
	if (cmd_runtime_g.log_json) {
		fprintf(f, "{\"level\":\"%s\",\"msg\":", level);
		cmd_runtime_quote(f, msg);
		fprintf(f, ",\"time\":\"%s\"}\n", when);
	} else {
		fprintf(f, "time=\"%s\" level=%s msg=", when, level);
		cmd_runtime_quote(f, msg);
		fputc('\n', f);
	}
	fflush(f);
}

/* Append one entry to the log (--log, else stderr). */
static void runtime_log(const char *level, const char *msg)
{
	FILE *f = stderr;

	if (cmd_runtime_g.log)
		f = fopen(cmd_runtime_g.log, "ae");
	if (!f)
		f = stderr;
	runtime_entry(f, level, msg);
	if (f != stderr)
		fclose(f);
}

int cmd_runtime_fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	runtime_log("error", msg);
	if (cmd_runtime_g.log)
		fprintf(stderr, "%s\n", msg);
	return 1;
}

void cmd_runtime_debug(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!cmd_runtime_g.debug)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	runtime_log("debug", msg);
}

/* The value of flag @name at argv[*i] ("--name VALUE" or "--name=VALUE");
 * NULL if argv[*i] is not that flag.  *@missing is set when the value is. */
const char *cmd_runtime_flag(int argc, char **argv, int *i, const char *name, bool *missing)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (a[0] == '-' && a[1] == '-')
		a++; /* Go's flag package takes -name and --name alike */
	if (a[0] != '-' || strncmp(a + 1, name, n))
		return NULL;
	if (a[1 + n] == '=')
		return a + 2 + n;
	if (a[1 + n])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

/* A flag without a value: --name, -name, or -short. */
bool cmd_runtime_switch(const char *a, const char *name, char shrt)
{
	if (a[0] == '-' && a[1] == shrt && shrt && !a[2])
		return true;
	if (a[0] == '-' && a[1] == '-')
		a++;
	return a[0] == '-' && !strcmp(a + 1, name);
}

/* The global options before the command; returns the command's index, or
 * -1 with the error logged. */
static int runtime_globals(int argc, char **argv)
{
	static const char *const ignored[] = { "criu", "rootless" };
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		bool missing = false;
		const char *v;

		if ((v = cmd_runtime_flag(argc, argv, &i, "root", &missing)))
			cmd_runtime_g.root = v;
		else if ((v = cmd_runtime_flag(argc, argv, &i, "log", &missing)))
			cmd_runtime_g.log = v[0] ? v : NULL;
		else if ((v = cmd_runtime_flag(argc, argv, &i, "log-format", &missing))) {
			if (strcmp(v, "text") && strcmp(v, "json"))
				return cmd_runtime_fail("invalid log-format: %s", v), -1;
			cmd_runtime_g.log_json = !strcmp(v, "json");
		} else if (cmd_runtime_switch(argv[i], "debug", 0))
			cmd_runtime_g.debug = true;
		else if (cmd_runtime_switch(argv[i], "systemd-cgroup", 0))
			; /* accepted: a VM has no cgroup of the host's to name */
		else if ((v = cmd_runtime_flag(argc, argv, &i, ignored[0], &missing)) ||
			 (v = cmd_runtime_flag(argc, argv, &i, ignored[1], &missing)))
			; /* criu (checkpointing) and rootless: runc's; nothing here */
		else if (cmd_runtime_switch(argv[i], "help", 'h') ||
			 cmd_runtime_switch(argv[i], "version", 'v'))
			return i;
		else if (missing)
			return cmd_runtime_fail("flag needs an argument: %s", argv[i]), -1;
		else
			return cmd_runtime_fail("flag provided but not defined: %s", argv[i]), -1;
		if (missing)
			return cmd_runtime_fail("flag needs an argument: %s", argv[i]), -1;
	}
	return i;
}

int cmd_runtime_main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "create", cmd_runtime_life_create },	    { "start", cmd_runtime_life_start },
		{ "kill", cmd_runtime_life_kill },	    { "delete", cmd_runtime_life_delete },
		{ "state", cmd_runtime_state_show },	    { "list", cmd_runtime_state_list },
		{ "features", cmd_runtime_state_features }, { "exec", cmd_runtime_exec },
	};
	int i = runtime_globals(argc, argv);
	const char *cmd;

	if (i < 0)
		return 1;
	cmd = i < argc ? argv[i] : NULL;
	if (!cmd || cmd_runtime_switch(cmd, "help", 'h') || !strcmp(cmd, "help")) {
		fputs(runtime_help, cmd ? stdout : stderr);
		return cmd ? 0 : 1;
	}
	if (cmd_runtime_switch(cmd, "version", 'v') || !strcmp(cmd, "version")) {
		printf("monos-runtime version %s\nspec: %s\n", RUNTIME_VERSION, OCI_SPEC_VERSION);
		return 0;
	}
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (!strcmp(cmd, cmds[k].name))
			return cmds[k].fn(argc - i - 1, argv + i + 1);
	return cmd_runtime_fail("No help topic for '%s'", cmd);
}
