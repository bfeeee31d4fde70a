/*
 * `monos exec [-i] [-t] [-e K=V] [-w DIR] [-u UID[:GID]] NAME CMD [ARG...]`:
 * start a second process in a running instance, as docker exec does
 * (exec_client.c relays it; monitor_exec.c and kernel/init/exec.c start it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

const char cmd_exec_help[] =
	"Usage: monos exec [OPTIONS] NAME COMMAND [ARG...]\n"
	"\n"
	"Run COMMAND in the running instance NAME (a name, an id or the start of an\n"
	"id) beside its program, as docker exec does.  A COMMAND without '/' is looked\n"
	"for in the instance's PATH.  The exit status is the command's (128 + N for\n"
	"signal N; 126: it cannot be run; 127: not found; 125: monos' own error).\n"
	"\n"
	"Options:\n"
	"  -i, --interactive     relay stdin (else the command's stdin is empty)\n"
	"  -t, --tty             give the command a terminal in the guest (with -i, your\n"
	"                        terminal is raw while it runs: Ctrl-C is typed to it)\n"
	"  -e, --env K=V         set an environment variable (repeatable); the\n"
	"                        instance's environment is the base\n"
	"  -w, --workdir DIR     working directory in the guest (default: the program's)\n"
	"  -u, --user UID[:GID]  numeric ids to run as (default: the program's)\n"
	"At most 8 commands run in one instance at once; their arguments and\n"
	"environment share 4 KiB.\n";

/* "UID[:GID]" (numeric): 0, or -1 (said). */
static int parse_user(const char *s, struct exec_request *q)
{
	char *end;
	unsigned long uid = strtoul(s, &end, 10), gid = 0;

	if (end != s && *end == ':')
		gid = strtoul(end + 1, &end, 10);
	if (end == s || *end || uid > 0xfffffffful || gid > 0xfffffffful) {
		msg_error("exec: -u takes numeric ids: UID[:GID], not '%s'", s);
		return -1;
	}
	q->user_set = true;
	q->uid = (uint32_t)uid;
	q->gid = (uint32_t)gid;
	return 0;
}

/* The value of option argv[*i] (long form `name`, short `c`), or NULL if
 * argv[*i] is not it; *i advanced past the value.  *bad on a missing one. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, char c, bool *bad)
{
	const char *a = argv[*i];
	size_t nl = strlen(name);

	if (a[1] == c && a[2])
		return a + 2;
	if ((a[1] == c && !a[2]) || !strcmp(a + 1, name)) {
		if (*i + 1 >= argc) {
			*bad = true;
			return NULL;
		}
		return argv[++*i];
	}
	if (!strncmp(a + 1, name, nl) && a[1 + nl] == '=')
		return a + 2 + nl;
	return NULL;
}

/* Parse the options into `q`: the index of NAME, or -1 (said). */
static int parse(int argc, char **argv, struct exec_request *q)
{
	int i;

	for (i = 0; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i], *v;
		bool bad = false;

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "-i") || !strcmp(a, "--interactive")) {
			q->interactive = true;
		} else if (!strcmp(a, "-t") || !strcmp(a, "--tty")) {
			q->tty = true;
		} else if (!strcmp(a, "-it") || !strcmp(a, "-ti")) {
			q->interactive = q->tty = true;
		} else if ((v = opt_value(argc, argv, &i, "-env", 'e', &bad))) {
			q->env[q->envc++] = (char *)v;
		} else if ((v = opt_value(argc, argv, &i, "-workdir", 'w', &bad))) {
			q->cwd = v;
		} else if ((v = opt_value(argc, argv, &i, "-user", 'u', &bad))) {
			if (parse_user(v, q) < 0)
				return -1;
		} else {
			msg_error("exec: bad option '%s' (see 'monos help exec')", a);
			return -1;
		}
		if (bad) {
			msg_error("exec: %s needs a value", a);
			return -1;
		}
	}
	if (argc - i < 2) {
		msg_error("exec: give an instance and a command (see 'monos help exec')");
		return -1;
	}
	return i;
}

int cmd_exec_main(int argc, char **argv)
{
	struct exec_request q = { .notify_fd = -1 };
	struct state_record *r = malloc(sizeof(*r));
	char err[512];
	int i, status = CLI_EXIT_ERROR;

	if (argc > 0 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
		fputs(cmd_exec_help, stdout);
		free(r);
		return 0;
	}
	q.env = calloc((size_t)argc + 1, sizeof(*q.env));
	if (!r || !q.env) {
		msg_error("exec: out of memory");
	} else if ((i = parse(argc, argv, &q)) >= 0) {
		q.argv = argv + i + 1;
		q.argc = (size_t)(argc - i - 1);
		if (state_find(argv[i], r, err, sizeof(err)) < 0)
			msg_error("%s", err);
		else if (!r->live)
			msg_error("exec: the instance %s is not running", argv[i]);
		else
			status = exec_client_run(r->dir, &q);
	}
	free(q.env);
	free(r);
	return status;
}
