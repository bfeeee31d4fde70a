/*
 * The OCI runtime's state directory and its read-only commands (contracts
 * in oci.h): `state`, `list`, `features`.
 *
 * Each container has a directory ROOT/ID (mode 0700) holding our state
 * file (state.json: id, bundle, rootfs, creation time, monitor pid and
 * the last status seen), a copy of the bundle's config.json (its hooks
 * run at start and delete, when the bundle may be gone), the lock that
 * keeps two commands on one container apart, and the monitor's own files
 * (its control socket, record and log: monitor.c).  A live container's
 * status is asked of its monitor; without a live monitor it is stopped.
 * The state file is written to a temporary file and renamed over the old
 * one, so a reader sees the old or the new, never half of one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lib/json.h>

#include "oci.h"

#define RUNTIME_ID_MAX	   200 /* bytes of an id (a file name, with room) */
#define RUNTIME_STATE_MAX  (64u << 10)
#define RUNTIME_NS_PER_SEC 1000000000LL

/* runc's rule (libcontainer/factory_linux.go): [A-Za-z0-9_+.-]+, not "." or "..". */
static bool runtime_id_ok(const char *id)
{
	size_t n = strlen(id);

	if (!n || n > RUNTIME_ID_MAX || !strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.") ==
	       n;
}

int cmd_runtime_state_dir(const char *id, char *dir, size_t n)
{
	if (!runtime_id_ok(id))
		return cmd_runtime_fail("invalid id format: %s", id);
	if (snprintf(dir, n, "%s/%s", cmd_runtime_g.root, id) >= (int)n)
		return cmd_runtime_fail("container path too long: %s/%s", cmd_runtime_g.root, id);
	return 0;
}

int cmd_runtime_state_lock(const char *dir)
{
	char path[RUNTIME_PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/" RUNTIME_LOCK, dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	return fd;
}

/* ------------------------------------------------------------ the file */

int cmd_runtime_state_save(const struct runtime_state *s)
{
	char path[RUNTIME_PATH_MAX + 32], tmp[RUNTIME_PATH_MAX + 32];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/" RUNTIME_STATE_FILE, s->dir);
	snprintf(tmp, sizeof(tmp), "%s/." RUNTIME_STATE_FILE ".%ld", s->dir, (long)getpid());
	f = fopen(tmp, "we");
	if (!f)
		return cmd_runtime_fail("write %s: %s", tmp, strerror(errno));
	fputs("{\"id\":", f);
	cmd_runtime_quote(f, s->id);
	fputs(",\"bundle\":", f);
	cmd_runtime_quote(f, s->bundle);
	fputs(",\"rootfs\":", f);
	cmd_runtime_quote(f, s->rootfs);
	fprintf(f, ",\"created\":%lld,\"pid\":%ld,\"status\":\"%s\",\"exit\":%d,\"sandbox\":%s}\n",
		(long long)s->created_ns, s->pid, s->status, s->exit_status,
		s->sandbox ? "true" : "false");
	rc = fflush(f) || fsync(fileno(f));
	if (fclose(f) || rc || rename(tmp, path) < 0) {
		unlink(tmp);
		return cmd_runtime_fail("write %s: %s", path, strerror(errno));
	}
	return 0;
}

/* A string member of the state file into @out (@n bytes). */
static bool runtime_get_str(const struct json_node *o, const char *key, char *out, size_t n)
{
	const char *v = json_cstr(json_get(o, key));

	if (!v || strlen(v) >= n)
		return false;
	strcpy(out, v);
	return true;
}

/* Read ROOT/ID/state.json into @s (dir and id already set). */
static int runtime_read(struct runtime_state *s)
{
	char path[RUNTIME_PATH_MAX + 32], *text;
	int64_t created = 0, pid = 0, exit_status = -1;
	struct json_doc doc;
	size_t n;
	bool ok;

	snprintf(path, sizeof(path), "%s/" RUNTIME_STATE_FILE, s->dir);
	text = oci_bundle_slurp(path, RUNTIME_STATE_MAX, &n);
	ok = text && json_parse(text, n, &oci_json_malloc, NULL, &doc, NULL) == 0;
	free(text);
	if (!ok)
		return -1;
	ok = runtime_get_str(doc.root, "bundle", s->bundle, sizeof(s->bundle)) &&
	     runtime_get_str(doc.root, "rootfs", s->rootfs, sizeof(s->rootfs)) &&
	     runtime_get_str(doc.root, "status", s->status, sizeof(s->status)) &&
	     !json_int64(json_get(doc.root, "created"), &created) &&
	     !json_int64(json_get(doc.root, "pid"), &pid) &&
	     !json_int64(json_get(doc.root, "exit"), &exit_status);
	s->sandbox =
		json_get(doc.root, "sandbox") && json_get(doc.root, "sandbox")->kind == JSON_TRUE;
	json_free(&doc);
	s->created_ns = created;
	s->pid = (long)pid;
	s->exit_status = (int)exit_status;
	return ok ? 0 : -1;
}

/* The status now: asked of the live monitor, else stopped. */
static void runtime_refresh(struct runtime_state *s)
{
	char st[32];
	int status = -1;
	pid_t qemu;

	if (!strcmp(s->status, "stopped") || !strcmp(s->status, "creating"))
		return;
	if (s->sandbox && oci_pod_pause_alive((pid_t)s->pid))
		return; /* created or running, as the state file says */
	if (!s->sandbox && monitor_state(s->dir, st, sizeof(st), &status, &qemu) == 0 &&
	    strcmp(st, "exited")) {
		strcpy(s->status, strcmp(st, "created") ? "running" : "created");
		return;
	}
	strcpy(s->status, "stopped");
	s->pid = 0;
	s->exit_status = status;
}

int cmd_runtime_state_load(const char *id, struct runtime_state *s)
{
	memset(s, 0, sizeof(*s));
	if (cmd_runtime_state_dir(id, s->dir, sizeof(s->dir)))
		return 1;
	snprintf(s->id, sizeof(s->id), "%s", id);
	if (runtime_read(s))
		return cmd_runtime_fail("container %s does not exist", id);
	runtime_refresh(s);
	return 0;
}

/* ------------------------------------------------------------ printing */

/* Go's time.RFC3339Nano in UTC: the fraction without trailing zeros. */
static void runtime_rfc3339(char *buf, size_t n, int64_t ns)
{
	time_t sec = (time_t)(ns / RUNTIME_NS_PER_SEC);
	long frac = (long)(ns % RUNTIME_NS_PER_SEC);
	char digits[16];
	struct tm tm;
	size_t len;

	gmtime_r(&sec, &tm);
	len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(digits, sizeof(digits), ".%09ld", frac);
	for (size_t k = strlen(digits); frac && digits[k - 1] == '0'; k--)
		digits[k - 1] = '\0';
	snprintf(buf + len, n - len, "%sZ", frac ? digits : "");
}

/* The user owning the container's directory, as runc's list shows it. */
static void runtime_owner(const char *dir, char *out, size_t n)
{
	struct stat st;
	struct passwd *pw;

	out[0] = '\0';
	if (stat(dir, &st) < 0)
		return;
	pw = getpwuid(st.st_uid);
	if (pw)
		snprintf(out, n, "%s", pw->pw_name);
	else
		snprintf(out, n, "#%u", (unsigned)st.st_uid);
}

void cmd_runtime_state_json(FILE *f, const struct runtime_state *s, bool indent)
{
	const char *nl = indent ? "\n  " : "", *sp = indent ? " " : "";
	char created[64];

	runtime_rfc3339(created, sizeof(created), s->created_ns);
	fprintf(f, "{%s\"ociVersion\":%s\"%s\",%s\"id\":%s", nl, sp, OCI_SPEC_VERSION, nl, sp);
	cmd_runtime_quote(f, s->id);
	fprintf(f, ",%s\"pid\":%s%ld,%s\"status\":%s\"%s\",%s\"bundle\":%s", nl, sp, s->pid, nl, sp,
		s->status, nl, sp);
	cmd_runtime_quote(f, s->bundle);
	fprintf(f, ",%s\"rootfs\":%s", nl, sp);
	cmd_runtime_quote(f, s->rootfs);
	fprintf(f, ",%s\"created\":%s\"%s\",%s\"owner\":%s\"\"%s}\n", nl, sp, created, nl, sp,
		indent ? "\n" : "");
}

int cmd_runtime_state_show(int argc, char **argv)
{
	struct runtime_state s;

	if (argc != 1)
		return cmd_runtime_fail("state: exactly one container id is needed");
	if (cmd_runtime_state_load(argv[0], &s))
		return 1;
	cmd_runtime_state_json(stdout, &s, true);
	return 0;
}

/* Every container under --root, in directory order, loaded; *n of them. */
static struct runtime_state *runtime_all(size_t *n)
{
	struct runtime_state *all = NULL, *grown;
	DIR *d = opendir(cmd_runtime_g.root);
	struct dirent *e;

	*n = 0;
	while (d && (e = readdir(d))) {
		struct runtime_state s = { 0 };

		if (e->d_name[0] == '.' || !runtime_id_ok(e->d_name) ||
		    cmd_runtime_state_dir(e->d_name, s.dir, sizeof(s.dir)))
			continue;
		snprintf(s.id, sizeof(s.id), "%s", e->d_name);
		if (runtime_read(&s))
			continue; /* not (yet) a container */
		runtime_refresh(&s);
		if (!(grown = realloc(all, (*n + 1) * sizeof(*all))))
			break;
		all = grown;
		all[(*n)++] = s;
	}
	if (d)
		closedir(d);
	return all;
}

int cmd_runtime_state_list(int argc, char **argv)
{
	bool quiet = false, json = false;
	struct runtime_state *all;
	size_t n;

	for (int i = 0; i < argc; i++) {
		bool missing = false;
		const char *v = cmd_runtime_flag(argc, argv, &i, "format", &missing);

		if (!v && !missing)
			v = cmd_runtime_flag(argc, argv, &i, "f", &missing);
		if (v && (!strcmp(v, "json") || !strcmp(v, "table")))
			json = !strcmp(v, "json");
		else if (v || missing)
			return cmd_runtime_fail("invalid format option");
		else if (cmd_runtime_switch(argv[i], "quiet", 'q'))
			quiet = true;
		else
			return cmd_runtime_fail("flag provided but not defined: %s", argv[i]);
	}
	all = runtime_all(&n);
	if (json) {
		fputs(n ? "[" : "null", stdout);
		for (size_t i = 0; i < n; i++) {
			fputs(i ? "," : "", stdout);
			cmd_runtime_state_json(stdout, &all[i], false);
		}
		fputs(n ? "]\n" : "\n", stdout);
	} else if (quiet) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", all[i].id);
	} else {
		printf("%-12s %-12s %-12s %-12s %-12s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
		for (size_t i = 0; i < n; i++) {
			char created[64], owner[64];

			runtime_rfc3339(created, sizeof(created), all[i].created_ns);
			runtime_owner(all[i].dir, owner, sizeof(owner));
			printf("%-12s %-12ld %-12s %-12s %-12s %s\n", all[i].id, all[i].pid,
			       all[i].status, all[i].bundle, created, owner);
		}
	}
	free(all);
	return 0;
}

/* What this runtime supports (runtime-spec features.md; runc's layout). */
static const char runtime_features[] =
	"{\n"
	"    \"ociVersionMin\": \"1.0.0\",\n"
	"    \"ociVersionMax\": \"" OCI_SPEC_VERSION "\",\n"
	"    \"hooks\": [\n"
	"        \"prestart\",\n"
	"        \"createRuntime\",\n"
	"        \"poststart\",\n"
	"        \"poststop\"\n"
	"    ],\n"
	"    \"mountOptions\": [\n"
	"        \"bind\",\n"
	"        \"rbind\",\n"
	"        \"ro\",\n"
	"        \"rw\"\n"
	"    ],\n"
	"    \"linux\": {\n"
	"        \"namespaces\": [\n"
	"            \"cgroup\",\n"
	"            \"ipc\",\n"
	"            \"mount\",\n"
	"            \"network\",\n"
	"            \"pid\",\n"
	"            \"uts\"\n"
	"        ]\n"
	"    },\n"
	"    \"annotations\": {\n"
	"        \"io.github.monos.runtime\": \"virtual machine per container\"\n"
	"    }\n"
	"}\n";

int cmd_runtime_state_features(int argc, char **argv)
{
	(void)argv;
	if (argc)
		return cmd_runtime_fail("features: takes no arguments");
	fputs(runtime_features, stdout);
	return 0;
}
