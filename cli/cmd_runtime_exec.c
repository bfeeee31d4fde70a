/*
 * `monos-runtime exec`, as runc's: a second process in a running
 * container (its monitor relays it: exec_client.c).  The process comes from
 * --process FILE (an OCI process object, as podman and containerd write
 * it) or from the arguments after ID with --cwd, --env and --user.
 *
 * Without --detach the command relays the process's stdio and exits with
 * its status.  With --detach (conmon, containerd's shim) a child of ours
 * does the relaying and stands for the guest process: the command returns
 * once the process runs, --pid-file naming that child, which exits with
 * the process's status (the caller, a subreaper, reaps it).  A process
 * that cannot start fails the command with runc's message, so podman and
 * containerd give 127 or 126 as with runc.
 *
 * --tty gives the process a terminal in the guest (kernel/init/exec_stream.c);
 * with --console-socket the relaying side is a host pty's slave whose
 * master goes to the socket, as runc's.  Not done: resizing after the
 * start.  --cap, --apparmor, --process-label,
 * --no-new-privs, --preserve-fds and --cgroup are accepted and ignored,
 * as their objects are the host's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci.h"

#define EXEC_PROCESS_MAX (1u << 20) /* bytes of a --process file read at most */

struct rt_exec_args {
	const char *process, *pid_file, *console, *cwd, *user, *id;
	bool detach, tty;
	char **env; /* --env values (argc of them at most) */
	size_t envc;
	char **cmd; /* after ID */
	size_t cmdc;
};

/* runc exec's flags: 0, or 1 (reported). */
static int parse_args(int argc, char **argv, struct rt_exec_args *a)
{
	static const char *const ignored[] = { "process-label", "apparmor", "cap", "preserve-fds",
					       "cgroup" };
	int i;

	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		bool missing = false, known = false;
		const char *v;

		if ((v = cmd_runtime_flag(argc, argv, &i, "process", &missing)))
			a->process = v;
		else if (!missing && (v = cmd_runtime_flag(argc, argv, &i, "pid-file", &missing)))
			a->pid_file = v;
		else if (!missing &&
			 (v = cmd_runtime_flag(argc, argv, &i, "console-socket", &missing)))
			a->console = v;
		else if (!missing && (v = cmd_runtime_flag(argc, argv, &i, "cwd", &missing)))
			a->cwd = v;
		else if (!missing &&
			 ((v = cmd_runtime_flag(argc, argv, &i, "env", &missing)) ||
			  (!missing && (v = cmd_runtime_flag(argc, argv, &i, "e", &missing)))))
			a->env[a->envc++] = (char *)v;
		else if (!missing &&
			 ((v = cmd_runtime_flag(argc, argv, &i, "user", &missing)) ||
			  (!missing && (v = cmd_runtime_flag(argc, argv, &i, "u", &missing)))))
			a->user = v;
		else if (cmd_runtime_switch(argv[i], "detach", 'd'))
			a->detach = known = true;
		else if (cmd_runtime_switch(argv[i], "tty", 't'))
			a->tty = known = true;
		else if (cmd_runtime_switch(argv[i], "no-new-privs", 0) ||
			 cmd_runtime_switch(argv[i], "ignore-paused", 0))
			known = true;
		else
			for (size_t k = 0; k < sizeof(ignored) / sizeof(ignored[0]) && !v; k++)
				if ((v = cmd_runtime_flag(argc, argv, &i, ignored[k], &missing)))
					known = true;
		if (missing)
			return cmd_runtime_fail("flag needs an argument: %s", argv[i]);
		if (!v && !known)
			return cmd_runtime_fail("flag provided but not defined: %s", argv[i]);
	}
	if (i >= argc)
		return cmd_runtime_fail("exec: container id cannot be empty");
	a->id = argv[i];
	a->cmd = argv + i + 1;
	a->cmdc = (size_t)(argc - i - 1);
	if (!a->process && !a->cmdc)
		return cmd_runtime_fail("exec: args must not be empty");
	return 0;
}

/* "G1,G2,..." (oci_config's form) into the request's groups: 0 or 1. */
static int take_groups(const char *s, struct exec_request *q)
{
	while (s && *s) {
		char *end;
		unsigned long g = strtoul(s, &end, 10);

		if (end == s || q->ngroups == EXEC_GROUPS_MAX || g > 0xfffffffful)
			return cmd_runtime_fail("exec: too many or bad additional gids");
		q->groups[q->ngroups++] = (uint32_t)g;
		s = *end == ',' ? end + 1 : end;
	}
	return 0;
}

/* The request from --process FILE into `q` (pointing into `c`): 0 or 1. */
static int from_process_file(const char *path, struct oci_config *c, struct exec_request *q)
{
	char err[512];
	size_t len;
	char *text = oci_bundle_slurp(path, EXEC_PROCESS_MAX, &len);

	if (!text)
		return cmd_runtime_fail("exec: read %s: %s", path, strerror(errno));
	if (oci_process_parse(text, len, c, err, sizeof(err))) {
		free(text);
		return cmd_runtime_fail("exec: %s", err);
	}
	free(text);
	q->argv = c->args;
	for (q->argc = 0; c->args[q->argc]; q->argc++)
		;
	q->env = c->env;
	for (q->envc = 0; c->env[q->envc]; q->envc++)
		;
	q->cwd = c->cwd;
	q->user_set = true;
	q->uid = c->uid;
	q->gid = c->gid;
	q->tty = c->terminal;
	return take_groups(c->groups, q);
}

/* The request from the command line: 0 or 1. */
static int from_flags(const struct rt_exec_args *a, struct exec_request *q)
{
	unsigned long uid = 0, gid = 0;
	char *end = NULL;

	q->argv = a->cmd;
	q->argc = a->cmdc;
	q->env = a->env;
	q->envc = a->envc;
	q->cwd = a->cwd;
	q->tty = a->tty;
	q->user_set = true; /* runc's default user is root */
	if (a->user) {
		uid = strtoul(a->user, &end, 10);
		if (end != a->user && *end == ':')
			gid = strtoul(end + 1, &end, 10);
		if (end == a->user || *end || uid > 0xfffffffful || gid > 0xfffffffful)
			return cmd_runtime_fail("exec: --user takes UID[:GID], not %s", a->user);
	}
	q->uid = (uint32_t)uid;
	q->gid = (uint32_t)gid;
	return 0;
}

/* runc's words for a process that could not start (podman and containerd
 * turn "executable file not found" into 127, "permission denied" into 126). */
static int start_failed(int status, const char *prog)
{
	if (status == CLI_EXIT_NOT_FOUND)
		return cmd_runtime_fail("exec failed: unable to start container process: exec: "
					"\"%s\": executable file not found in $PATH",
					prog);
	if (status == CLI_EXIT_CANNOT_RUN)
		return cmd_runtime_fail("exec failed: unable to start container process: exec: "
					"\"%s\": permission denied",
					prog);
	return cmd_runtime_fail("exec failed: the instance did not start the process");
}

/* `pid` into a new `path`, as runc writes its pid files: 0 or -1 (errno). */
static int write_pid(const char *path, const char *pid)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = fd < 0 ? -1 : msg_write_full(fd, pid, strlen(pid)) < 0 ? -1 : 0;

	if (fd >= 0 && close(fd) < 0)
		rc = -1;
	return rc;
}

/* --detach: a child relays and stands for the process; we return once it
 * runs (its pid in `pid_file`), or fail as runc does. */
/* The console's slave (-1: none) as our stdin, stdout and stderr. */
static void take_console(int slave)
{
	if (slave < 0)
		return;
	for (int fd = 0; fd < 3; fd++)
		dup2(slave, fd);
	close(slave);
}

static int exec_detached(const char *dir, struct exec_request *q, const char *pid_file, int slave)
{
	int fds[2], st;
	char b, pid[32];
	pid_t child;

	if (pipe2(fds, O_CLOEXEC) < 0 || (child = fork()) < 0)
		return cmd_runtime_fail("exec: %s", strerror(errno));
	if (child == 0) {
		close(fds[0]);
		take_console(slave);
		q->notify_fd = fds[1];
		_exit(exec_client_run(dir, q));
	}
	close(fds[1]);
	if (slave >= 0)
		close(slave);
	if (read(fds[0], &b, 1) == 1) {
		close(fds[0]);
		snprintf(pid, sizeof(pid), "%ld", (long)child);
		if (pid_file && write_pid(pid_file, pid) < 0)
			return cmd_runtime_fail("write pid file %s: %s", pid_file, strerror(errno));
		return 0;
	}
	close(fds[0]);
	if (waitpid(child, &st, 0) < 0 || !WIFEXITED(st))
		return start_failed(-1, q->argv[0]);
	return start_failed(WEXITSTATUS(st), q->argv[0]);
}

int cmd_runtime_exec(int argc, char **argv)
{
	struct rt_exec_args a = { 0 };
	struct exec_request q = { .notify_fd = -1, .interactive = true };
	struct runtime_state s;
	struct oci_config c = { 0 };
	int rc = 1, slave = -1;

	if (!(a.env = calloc((size_t)argc + 1, sizeof(*a.env))))
		return cmd_runtime_fail("exec: out of memory");
	if (parse_args(argc, argv, &a) || cmd_runtime_state_load(a.id, &s))
		goto out;
	if (strcmp(s.status, "running") || s.sandbox) {
		rc = cmd_runtime_fail("cannot exec in a stopped container");
		goto out;
	}
	if (a.process ? from_process_file(a.process, &c, &q) : from_flags(&a, &q))
		goto out;
	if (q.tty && !a.console && a.detach) { /* runc's checks and words */
		rc = cmd_runtime_fail("cannot allocate tty if runc will detach without setting "
				      "console socket");
		goto out;
	}
	if (!q.tty && a.console) {
		rc = cmd_runtime_fail("cannot use console socket if runc will not allocate tty");
		goto out;
	}
	if (a.console && (slave = cmd_runtime_life_console(a.console)) < 0)
		goto out;
	if (a.detach) {
		rc = exec_detached(s.dir, &q, a.pid_file, slave);
	} else {
		take_console(slave);
		rc = exec_client_run(s.dir, &q);
	}
out:
	oci_config_free(&c);
	free(a.env);
	return rc;
}
