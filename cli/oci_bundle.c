/*
 * An OCI bundle as a `monos run` (contracts in oci.h): config.json read
 * from the bundle directory, then turned into the arguments `monos run`
 * would take for it (-m, -e, -u, --rootfs, -v, --file, --net, then
 * -- PROGRAM ARGS), parsed by options_parse_run() so that a container gets
 * exactly the checks and behaviour of `monos run` (design.md contract 22:
 * one model).  Unlike oci_config.c, this looks at files: the rootfs, and
 * each bind mount's source (a directory is shared, a file copied in).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci.h"

/* runc's PATH when process.env has none (libcontainer's default). */
#define OCI_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#define OCI_PAGE_SIZE 4096 /* `monos run -m` wants a multiple of it */

/* Append one `monos run` argument to c->run_args. */
static int oci_arg(struct oci_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int oci_arg(struct oci_ctx *x, const char *fmt, ...)
{
	struct oci_config *c = x->c;
	char **grown;
	va_list ap;
	int rc;

	if (c->run_argc + 2 > OCI_MAX_RUN_ARGS)
		return oci_config_fail(x, "the container needs more than %d arguments",
				       OCI_MAX_RUN_ARGS);
	if (!(grown = realloc(c->run_args, (c->run_argc + 2) * sizeof(*grown))))
		return oci_config_fail(x, "out of memory");
	c->run_args = grown;
	va_start(ap, fmt);
	rc = vasprintf(&grown[c->run_argc], fmt, ap);
	va_end(ap);
	if (rc < 0)
		return oci_config_fail(x, "out of memory");
	grown[++c->run_argc] = NULL;
	return 0;
}

/* A bind mount: a directory is shared (-v), a file copied in (--file). */
static int oci_bind_arg(struct oci_ctx *x, const struct oci_mount *m)
{
	struct stat st;

	/* podman binds its own /dev/shm directory; the guest has its own. */
	if (!strcmp(m->destination, "/dev/shm"))
		return 0;
	if (strchr(m->source, ':') || strchr(m->destination, ':'))
		return oci_config_fail(x, "mount %s on %s: a ':' in a path is not supported",
				       m->source, m->destination);
	if (stat(m->source, &st) < 0)
		return oci_config_fail(x, "mount %s on %s: %s", m->source, m->destination,
				       strerror(errno));
	if (S_ISDIR(st.st_mode))
		return oci_arg(x, "-v")
			       ?: oci_arg(x, "%s:%s%s", m->source, m->destination,
					  m->ro ? ":ro" : "");
	if (S_ISREG(st.st_mode))
		return oci_arg(x, "--file") ?: oci_arg(x, "%s:%s", m->source, m->destination);
	return oci_config_fail(x, "mount %s on %s: only directories and regular files can be bound",
			       m->source, m->destination);
}

static int oci_memory_args(struct oci_ctx *x)
{
	uint64_t bytes = x->c->memory;

	if (!bytes)
		return 0;
	if (bytes > OPTIONS_MAX_MEMORY)
		bytes = OPTIONS_MAX_MEMORY; /* "as much as you like" */
	bytes = (bytes + OCI_PAGE_SIZE - 1) / OCI_PAGE_SIZE * OCI_PAGE_SIZE;
	if (bytes < OPTIONS_MIN_MEMORY)
		return oci_config_fail(x,
				       "linux.resources.memory.limit: %llu bytes is below monos' "
				       "minimum of 2M",
				       (unsigned long long)x->c->memory);
	return oci_arg(x, "-m") ?: oci_arg(x, "%llu", (unsigned long long)bytes);
}

/* Whether guest path @path is an executable regular file in the rootfs
 * @rootfd, looked up as if chrooted there (openat2's RESOLVE_IN_ROOT:
 * absolute symlinks and ".." stay inside).  0, or -errno. */
static int oci_in_root(int rootfd, const char *path)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	struct stat st;
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how)), rc = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		rc = -EACCES;
	close(fd);
	return rc;
}

/*
 * process.args[0] as the container's execvp would find it, into c->exe (a
 * guest path): with a '/', as given (relative to process.cwd); else the
 * first directory of the config's PATH (runc's default without one)
 * holding an executable file of that name.  Errors in runc's words, which
 * podman turns into exit statuses 127 (not found) and 126.
 */
static int oci_find_program(struct oci_ctx *x, int rootfd)
{
	struct oci_config *c = x->c;
	const char *name = c->args[0], *path = OCI_DEFAULT_PATH;
	int rc = -ENOENT;

	if (strchr(name, '/')) {
		if (asprintf(&c->exe, "%s%s%s", name[0] == '/' ? "" : c->cwd,
			     name[0] == '/' || !strcmp(c->cwd, "/") ? "" : "/", name) < 0)
			return oci_config_fail(x, "out of memory");
		rc = oci_in_root(rootfd, c->exe);
		if (!rc)
			return 0;
		free(c->exe);
		c->exe = NULL;
		return oci_config_fail(x, "exec: \"%s\": stat %s: %s", name, name, strerror(-rc));
	}
	for (size_t i = 0; c->env[i]; i++)
		if (!strncmp(c->env[i], "PATH=", 5))
			path = c->env[i] + 5;
	while (rc && *path) {
		size_t n = strcspn(path, ":");

		free(c->exe);
		if (asprintf(&c->exe, "%.*s/%s", (int)n, n ? path : ".", name) < 0)
			return oci_config_fail(x, "out of memory");
		rc = c->exe[0] == '/' ? oci_in_root(rootfd, c->exe) : -ENOENT;
		path += n + (path[n] == ':');
	}
	if (rc) {
		free(c->exe);
		c->exe = NULL;
		return oci_config_fail(x, "exec: \"%s\": executable file not found in $PATH", name);
	}
	return 0;
}

/* No environment of the runtime's own reaches the container. */
static char *oci_no_getenv(const char *name)
{
	(void)name;
	return NULL;
}

int oci_bundle_args(struct oci_config *c, char *err, size_t errlen)
{
	struct oci_ctx x = { c, err, errlen };
	int rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC), rc;

	if (rootfd < 0)
		return oci_config_fail(&x, "rootfs (\"%s\") does not exist", c->rootfs);
	rc = oci_find_program(&x, rootfd);
	close(rootfd);
	if (rc)
		return rc;
	rc = oci_memory_args(&x);
	for (size_t i = 0; !rc && c->env[i]; i++)
		rc = oci_arg(&x, "-e") ?: oci_arg(&x, "%s", c->env[i]);
	/* root.readonly false (podman's default) is a writable share: what the
	 * container writes lands in the rootfs, where `podman diff` sees it.
	 * The suffix always given, so a path ending in ":rw" stays a path. */
	rc = rc ?: oci_arg(&x, "--rootfs")
		?: oci_arg(&x, "%s:%s", c->rootfs, c->readonly ? "ro" : "rw");
	rc = rc ?: oci_arg(&x, "-w") ?: oci_arg(&x, "%s", c->cwd);
	if (!rc && c->hostname)
		rc = oci_arg(&x, "--hostname") ?: oci_arg(&x, "%s", c->hostname);
	for (size_t i = 0; !rc && i < c->nmounts; i++)
		if (c->mounts[i].bind)
			rc = oci_bind_arg(&x, &c->mounts[i]);
	if (!rc && c->net_tap[0])
		rc = oci_arg(&x, "--net") ?: oci_arg(&x, "tap:%s", c->net_tap) ?: oci_arg(&x, "--ip")
			?: oci_arg(&x, "%s", c->net_ip);
	for (size_t i = 0; !rc && i < c->nrlimits; i++) {
		char name[OCI_ULIMIT_NAME];

		oci_rlimit_ulimit(c->rlimits[i].resource, name);
		rc = oci_arg(&x, "--ulimit")
			     ?: oci_arg(&x, "%s=%llu:%llu", name,
					(unsigned long long)c->rlimits[i].soft,
					(unsigned long long)c->rlimits[i].hard);
	}
	if (!rc && c->net_mac[0])
		rc = oci_arg(&x, "--mac") ?: oci_arg(&x, "%s", c->net_mac);
	if (!rc && c->net_gateway[0])
		rc = oci_arg(&x, "--gateway") ?: oci_arg(&x, "%s", c->net_gateway);
	if (!rc && c->host_network)
		rc = oci_arg(&x, "--net") ?: oci_arg(&x, "user");
	rc = rc ?: oci_arg(&x, "--");
	for (size_t i = 0; !rc && c->args[i]; i++)
		rc = oci_arg(&x, "%s", c->args[i]);
	if (rc)
		return rc;
	if (options_parse_run(c->run_argc, c->run_args, &c->run, err, errlen, oci_no_getenv))
		return -1;
	c->run.rootfs_exe = c->exe; /* run it from the rootfs: nothing of the host's */
	/* /tmp and /run: the rootfs's, unless a tmpfs is mounted there. */
	c->run.rootfs_by_config = true;
	for (size_t i = 0; i < c->nmounts; i++) {
		const struct oci_mount *m = &c->mounts[i];

		c->run.rootfs_tmp |= !m->bind && !strcmp(m->destination, "/tmp");
		c->run.rootfs_run |= !m->bind && !strcmp(m->destination, "/run");
	}
	c->run.keep_stdio = true; /* the container's stdio is its manager's */
	/* The user as given, not looked up (runc's way): the per-run entry. */
	if (asprintf(&c->run.user_ids, "%u:%u%s%s", c->uid, c->gid, c->groups ? ":" : "",
		     c->groups ? c->groups : "") < 0) {
		c->run.user_ids = NULL;
		return oci_config_fail(&x, "out of memory");
	}
	return 0;
}

char *oci_bundle_slurp(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), saved;
	char *text = fd >= 0 ? malloc(max + 1) : NULL;
	ssize_t n = 1;

	*len = 0;
	if (fd >= 0 && !text)
		errno = ENOMEM;
	while (text && n > 0 && *len <= max) {
		n = read(fd, text + *len, max + 1 - *len);
		*len += n > 0 ? (size_t)n : 0;
	}
	saved = n < 0 ? errno : *len > max ? EFBIG : errno;
	if (fd >= 0)
		close(fd);
	if (text && (n < 0 || *len > max)) {
		free(text);
		text = NULL;
	}
	errno = saved;
	return text;
}

int oci_bundle_read(const char *bundle, struct oci_config *c, char *err, size_t errlen)
{
	struct oci_ctx x = { c, err, errlen };
	char path[PATH_MAX], *text;
	size_t len;
	int rc;

	memset(c, 0, sizeof(*c));
	if (snprintf(path, sizeof(path), "%s/" OCI_CONFIG_FILE, bundle) >= (int)sizeof(path))
		return oci_config_fail(&x, "bundle path too long");
	text = oci_bundle_slurp(path, OCI_CONFIG_MAX, &len);
	if (!text && errno == ENOENT)
		return oci_config_fail(&x, "JSON specification file %s not found", path);
	if (!text)
		return oci_config_fail(&x, "read %s: %s", path, strerror(errno));
	rc = oci_config_parse(text, len, bundle, c, err, errlen);
	free(text);
	return rc;
}
