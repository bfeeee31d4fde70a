/*
 * The OCI runtime's lifecycle commands (runtime-spec runtime.md
 * "Lifecycle"; contracts in oci.h): create, start, kill, delete.
 *
 * create reads the bundle (oci_bundle.c: config.json into the `monos run`
 * model), spawns the instance's monitor gated (monitor.c: everything
 * checked and packed, waiting for start) in ROOT/ID, runs the prestart
 * and createRuntime hooks, and writes the monitor's pid to --pid-file:
 * that process is the container's to its manager (conmon, the shim), and
 * it exits with the program's status.  start opens the gate and runs the
 * poststart hooks; kill sends a signal through the monitor (to the
 * guest's PID 1, which ignores what it does not handle, SIGKILL aside);
 * delete ends what still runs (--force, or a container never started),
 * runs the poststop hooks and removes ROOT/ID.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"

#define LIFE_HOOK_POLL_MS 10 /* how often a hook with a timeout is looked at */
#define LIFE_DIR_MODE	  0700
#define LIFE_PIDFILE_MODE 0644

/* ------------------------------------------------------------ hooks */

/* @s as runtime-spec's state, for a hook's stdin (a memory stream). */
static char *life_state_text(const struct runtime_state *s, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	cmd_runtime_state_json(f, s, false);
	fclose(f);
	return text;
}

/* Wait for hook @pid for at most @timeout seconds (0: no limit): its wait
 * status, or -1 when it was killed for taking too long. */
static int life_hook_wait(pid_t pid, int timeout)
{
	long left_ms = (long)timeout * 1000;
	int ws;

	for (;;) {
		pid_t r = waitpid(pid, &ws, timeout ? WNOHANG : 0);

		if (r == pid)
			return ws;
		if (r < 0 && errno != EINTR)
			return -1;
		if (r == 0 && (left_ms -= LIFE_HOOK_POLL_MS) < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &ws, 0);
			return -1;
		}
		if (r == 0)
			poll(NULL, 0, LIFE_HOOK_POLL_MS);
	}
}

/* Run one hook with the state on its stdin: 0, or 1 (reported as @what). */
static int life_hook(const struct oci_hook *h, const struct runtime_state *s, const char *what)
{
	char *argv0[] = { h->path, NULL }, *text;
	size_t len = 0;
	int in[2], ws;
	pid_t pid;

	text = life_state_text(s, &len);
	if (!text || pipe2(in, O_CLOEXEC) < 0) {
		free(text);
		return cmd_runtime_fail("%s hook %s: %s", what, h->path, strerror(errno));
	}
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		execve(h->path, h->args[0] ? h->args : argv0, h->env);
		_exit(127);
	}
	close(in[0]);
	if (pid > 0 && len <= PIPE_BUF * 16)
		(void)!write(in[1], text, len); /* a hook may not read it: EPIPE is fine */
	close(in[1]);
	free(text);
	if (pid < 0)
		return cmd_runtime_fail("%s hook %s: %s", what, h->path, strerror(errno));
	ws = life_hook_wait(pid, h->timeout);
	if (ws == -1)
		return cmd_runtime_fail("%s hook %s: timed out after %d s", what, h->path,
					h->timeout);
	if (!WIFEXITED(ws) || WEXITSTATUS(ws))
		return cmd_runtime_fail("%s hook %s: %s %d", what, h->path,
					WIFEXITED(ws) ? "exit status" : "killed by signal",
					WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws));
	return 0;
}

/* Every hook of point @p: the first failure stops them (1), unless @warn
 * (poststart, poststop: runtime-spec says to warn and go on). */
static int life_hooks(const struct oci_config *c, enum oci_hook_point p,
		      const struct runtime_state *s, bool warn)
{
	static const char *const names[OCI_HOOK_POINTS] = { "prestart", "createRuntime",
							    "poststart", "poststop" };

	for (size_t i = 0; i < c->nhooks[p]; i++)
		if (life_hook(&c->hooks[p][i], s, names[p]) && !warn)
			return 1;
	return 0;
}

/* The copy of config.json kept in ROOT/ID, parsed (hooks only are used). */
static int life_saved_config(const struct runtime_state *s, struct oci_config *c)
{
	char path[RUNTIME_PATH_MAX + 32], err[512], *text;
	size_t n;
	int rc;

	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "%s/" RUNTIME_CONFIG, s->dir);
	text = oci_bundle_slurp(path, OCI_CONFIG_MAX, &n);
	rc = text ? oci_config_parse(text, n, s->bundle, c, err, sizeof(err)) : -1;
	free(text);
	return rc;
}

/* ------------------------------------------------------------ files */

/* Write @text to @path atomically (a temporary file renamed over it). */
static int life_write_file(const char *path, const char *text, size_t len, mode_t mode)
{
	char tmp[PATH_MAX + 32];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	if (msg_write_full(fd, text, len) < 0 || fsync(fd) < 0)
		rc = -1;
	if (close(fd) < 0 || rc || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Copy the bundle's config.json into ROOT/ID. */
static int life_keep_config(const char *bundle, const char *dir)
{
	char from[PATH_MAX + 32], to[RUNTIME_PATH_MAX + 32], *text;
	size_t n;
	int rc;

	snprintf(from, sizeof(from), "%s/" OCI_CONFIG_FILE, bundle);
	snprintf(to, sizeof(to), "%s/" RUNTIME_CONFIG, dir);
	text = oci_bundle_slurp(from, OCI_CONFIG_MAX, &n);
	rc = text ? life_write_file(to, text, n, 0600) : -1;
	free(text);
	return rc;
}

/* Remove ROOT/ID and the files in it (it holds no directories). */
static void life_remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(dir);
}

/* ------------------------------------------------------------ the console */

/*
 * process.terminal: a pseudo-terminal whose master goes to the caller
 * through --console-socket (SCM_RIGHTS, with the pty's name as the
 * message, as runc's utils.SendFd does) and whose slave becomes the
 * monitor's stdin, stdout and stderr: the guest then sees a terminal.
 * Returns the slave's fd, or -1 (reported).
 */
int cmd_runtime_life_console(const char *sock_path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char name[64], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov;
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	int master, slave, sock;

	if (strlen(sock_path) >= sizeof(sa.sun_path))
		return -cmd_runtime_fail("console socket path too long: %s", sock_path);
	strcpy(sa.sun_path, sock_path);
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) || unlockpt(master) ||
	    ptsname_r(master, name, sizeof(name)))
		return -cmd_runtime_fail("allocate a pseudo-terminal: %s", strerror(errno));
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (slave < 0 || sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -cmd_runtime_fail("console socket %s: %s", sock_path, strerror(errno));
	iov = (struct iovec){ name, strlen(name) };
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	if (sendmsg(sock, &mh, 0) < 0)
		return -cmd_runtime_fail("console socket %s: %s", sock_path, strerror(errno));
	close(sock);
	close(master);
	return slave;
}

/* The monitor, forked with the console's slave as its stdio when there is
 * one (ours are put back after: errors still go to the caller's stderr). */
static pid_t life_spawn(struct oci_config *c, struct runtime_state *s, int slave)
{
	int saved[3] = { -1, -1, -1 };
	pid_t mon;

	for (int fd = 0; slave >= 0 && fd <= 2; fd++) {
		saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		dup2(slave, fd);
	}
	mon = monitor_create(&c->run, s->dir, s->id, true);
	for (int fd = 0; fd <= 2; fd++)
		if (saved[fd] >= 0) {
			dup2(saved[fd], fd);
			close(saved[fd]);
		}
	if (slave >= 0)
		close(slave);
	return mon;
}

/* End what runs for @s: its monitor (and so QEMU), or a sandbox's pause. */
static void life_end(const struct runtime_state *s)
{
	char why[256];
	int status;

	if (s->sandbox) {
		oci_pod_pause_end((pid_t)s->pid);
		return;
	}
	monitor_signal(s->dir, SIGKILL, why, sizeof(why));
	monitor_wait(s->dir, &status);
}

/* ------------------------------------------------------------ create */

struct life_create_args {
	const char *bundle, *pid_file, *console, *id;
};

static int life_create_flags(int argc, char **argv, struct life_create_args *a)
{
	static const char *const ignored[] = { "preserve-fds", "criu", "notify-socket" };

	for (int i = 0; i < argc; i++) {
		bool missing = false;
		const char *v;

		if ((v = cmd_runtime_flag(argc, argv, &i, "bundle", &missing)) ||
		    (!missing && (v = cmd_runtime_flag(argc, argv, &i, "b", &missing))))
			a->bundle = v;
		else if (!missing && (v = cmd_runtime_flag(argc, argv, &i, "pid-file", &missing)))
			a->pid_file = v;
		else if (!missing &&
			 (v = cmd_runtime_flag(argc, argv, &i, "console-socket", &missing)))
			a->console = v;
		else if (!missing && (cmd_runtime_flag(argc, argv, &i, ignored[0], &missing) ||
				      cmd_runtime_flag(argc, argv, &i, ignored[1], &missing) ||
				      cmd_runtime_flag(argc, argv, &i, ignored[2], &missing)))
			; /* no extra fds, checkpoints or sd_notify for a VM: accepted */
		else if (missing)
			return cmd_runtime_fail("flag needs an argument: %s", argv[i]);
		else if (cmd_runtime_switch(argv[i], "no-pivot", 0) ||
			 cmd_runtime_switch(argv[i], "no-new-keyring", 0))
			; /* runc's: nothing to do in a VM */
		else if (argv[i][0] == '-')
			return cmd_runtime_fail("flag provided but not defined: %s", argv[i]);
		else if (a->id)
			return cmd_runtime_fail("create: one container id only (got %s and %s)",
						a->id, argv[i]);
		else
			a->id = argv[i];
	}
	if (!a->id)
		return cmd_runtime_fail("create: a container id is needed");
	return 0;
}

/* Make ROOT and ROOT/ID; 0, or 1 when ID exists or ROOT cannot be made. */
static int life_make_dir(const char *dir, const char *id)
{
	if (mkdir(cmd_runtime_g.root, LIFE_DIR_MODE) < 0 && errno != EEXIST)
		return cmd_runtime_fail("mkdir %s: %s", cmd_runtime_g.root, strerror(errno));
	if (mkdir(dir, LIFE_DIR_MODE) < 0)
		return errno == EEXIST ? cmd_runtime_fail("container with id exists: %s", id)
				       : cmd_runtime_fail("mkdir %s: %s", dir, strerror(errno));
	return 0;
}

/* The monitor, the hooks and the pid file, for a container whose state
 * @s is saved as creating. */
static int life_boot(struct oci_config *c, struct runtime_state *s,
		     const struct life_create_args *a)
{
	int slave = -1;
	char pid[32];
	pid_t mon;

	if (c->terminal && !a->console && !c->sandbox)
		return cmd_runtime_fail("cannot allocate tty if monos-runtime will detach without "
					"setting console socket");
	if (c->terminal && !c->sandbox && (slave = cmd_runtime_life_console(a->console)) < 0)
		return 1;
	cmd_runtime_debug("create %s: %s", s->id, c->sandbox ? "a Pod's sandbox: no VM" : "a VM");
	mon = c->sandbox ? oci_pod_pause_spawn() : life_spawn(c, s, slave);
	if (mon < 0)
		return cmd_runtime_fail("monos-runtime create failed: the instance could not be "
					"prepared (status %d)",
					(int)-mon);
	s->pid = mon;
	if (life_hooks(c, OCI_HOOK_PRESTART, s, false) ||
	    life_hooks(c, OCI_HOOK_CREATE_RUNTIME, s, false)) {
		life_end(s);
		return 1;
	}
	snprintf(pid, sizeof(pid), "%ld", (long)mon);
	if (a->pid_file && life_write_file(a->pid_file, pid, strlen(pid), LIFE_PIDFILE_MODE) < 0) {
		life_end(s);
		return cmd_runtime_fail("write pid file %s: %s", a->pid_file, strerror(errno));
	}
	strcpy(s->status, "created");
	return cmd_runtime_state_save(s);
}

int cmd_runtime_life_create(int argc, char **argv)
{
	struct life_create_args a = { .bundle = "." };
	struct runtime_state s = { .exit_status = -1 };
	struct oci_config c = { 0 };
	char err[1024], *bundle;
	struct timespec now;
	int lock, rc;

	if (life_create_flags(argc, argv, &a) || cmd_runtime_state_dir(a.id, s.dir, sizeof(s.dir)))
		return 1;
	if (!(bundle = realpath(a.bundle, NULL)))
		return cmd_runtime_fail("bundle %s: %s", a.bundle, strerror(errno));
	if (life_make_dir(s.dir, a.id)) {
		free(bundle);
		return 1;
	}
	lock = cmd_runtime_state_lock(s.dir);
	rc = oci_bundle_read(bundle, &c, err, sizeof(err)) ?: oci_net_join(&c, a.id, err, sizeof(err))
		?: c.sandbox ? 0 : oci_bundle_args(&c, err, sizeof(err));
	if (rc)
		rc = cmd_runtime_fail("monos-runtime create failed: %s", err);
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(s.id, sizeof(s.id), "%s", a.id);
	snprintf(s.bundle, sizeof(s.bundle), "%s", bundle);
	snprintf(s.rootfs, sizeof(s.rootfs), "%s", c.rootfs ? c.rootfs : "");
	s.created_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	s.sandbox = c.sandbox;
	strcpy(s.status, "creating");
	if (!rc && life_keep_config(bundle, s.dir) < 0)
		rc = cmd_runtime_fail("keep config.json in %s: %s", s.dir, strerror(errno));
	rc = rc ?: cmd_runtime_state_save(&s) ?: life_boot(&c, &s, &a);
	if (rc && c.net_tap[0])
		oci_net_leave(c.netns);
	if (rc)
		life_remove_dir(s.dir);
	oci_config_free(&c);
	free(bundle);
	if (lock >= 0)
		close(lock);
	return rc;
}

/* ------------------------------------------------------------ start, kill */

/* The one container id of a command that takes nothing else but @flags. */
static const char *life_one_id(int argc, char **argv, const char *cmd)
{
	if (argc != 1 || argv[0][0] == '-') {
		cmd_runtime_fail("%s: exactly one container id is needed", cmd);
		return NULL;
	}
	return argv[0];
}

int cmd_runtime_life_start(int argc, char **argv)
{
	const char *id = life_one_id(argc, argv, "start");
	struct runtime_state s;
	struct oci_config c;
	char why[256];
	int lock, rc = 0;

	if (!id || cmd_runtime_state_load(id, &s))
		return 1;
	lock = cmd_runtime_state_lock(s.dir);
	if (!strcmp(s.status, "stopped"))
		rc = cmd_runtime_fail("cannot start a container that has stopped");
	else if (!strcmp(s.status, "running"))
		rc = cmd_runtime_fail("cannot start an already running container");
	else if (strcmp(s.status, "created"))
		rc = cmd_runtime_fail("cannot start a container in the %s state", s.status);
	else if (!s.sandbox && monitor_start(s.dir, why, sizeof(why)))
		rc = cmd_runtime_fail("monos-runtime start failed: %s",
				      why[0] ? why : "no monitor");
	if (!rc) {
		strcpy(s.status, "running");
		rc = cmd_runtime_state_save(&s);
		if (!life_saved_config(&s, &c))
			life_hooks(&c, OCI_HOOK_POSTSTART, &s, true);
		oci_config_free(&c);
	}
	if (lock >= 0)
		close(lock);
	return rc;
}

int cmd_runtime_life_kill(int argc, char **argv)
{
	struct runtime_state s;
	int signo = SIGTERM;
	char why[256];

	if (argc && (cmd_runtime_switch(argv[0], "all", 'a'))) {
		argc--; /* every process of the container: the VM's PID 1 gets it */
		argv++;
	}
	if (argc < 1 || argc > 2)
		return cmd_runtime_fail("kill: usage: kill [--all] ID [SIGNAL]");
	if (argc == 2 && (signo = cmd_ctl_signo(argv[1])) <= 0)
		return cmd_runtime_fail("unknown signal \"%s\"", argv[1]);
	if (cmd_runtime_state_load(argv[0], &s))
		return 1;
	if (strcmp(s.status, "created") && strcmp(s.status, "running"))
		return cmd_runtime_fail("container not running");
	if (s.sandbox && kill((pid_t)s.pid, signo) < 0)
		return cmd_runtime_fail("monos-runtime kill failed: %s", strerror(errno));
	if (!s.sandbox && monitor_signal(s.dir, signo, why, sizeof(why)))
		return cmd_runtime_fail("monos-runtime kill failed: %s",
					why[0] ? why : "no monitor");
	return 0;
}

/* ------------------------------------------------------------ delete */

int cmd_runtime_life_delete(int argc, char **argv)
{
	struct runtime_state s;
	struct oci_config c;
	bool force = false;
	int lock;

	if (argc && cmd_runtime_switch(argv[0], "force", 'f')) {
		force = true;
		argc--;
		argv++;
	}
	if (argc != 1)
		return cmd_runtime_fail("delete: usage: delete [--force] ID");
	if (cmd_runtime_state_load(argv[0], &s))
		return 1;
	lock = cmd_runtime_state_lock(s.dir);
	/* runc deletes a created container without --force: it never ran. */
	if (!strcmp(s.status, "running") && !force) {
		if (lock >= 0)
			close(lock);
		return cmd_runtime_fail("cannot delete container %s that is not stopped: running",
					s.id);
	}
	if (strcmp(s.status, "stopped") && strcmp(s.status, "creating"))
		life_end(&s);
	if (!life_saved_config(&s, &c)) {
		if (!s.sandbox) /* the tap is the application container's */
			oci_net_leave(c.netns);
		life_hooks(&c, OCI_HOOK_POSTSTOP, &s, true);
	}
	oci_config_free(&c);
	life_remove_dir(s.dir);
	if (lock >= 0)
		close(lock);
	return 0;
}
