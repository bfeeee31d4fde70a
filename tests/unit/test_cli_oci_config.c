/*
 * Unit tests of the OCI config.json reader (cli/oci_config.c): real
 * config.json files (tests/unit/data/oci: `runc spec`'s, and the ones
 * podman 4.3 wrote for `podman run --runtime runc` with no options, with
 * -e -w --hostname -u -v -p, and with -t -m), every field monos reads,
 * refusals with their messages, and the `monos run` arguments a bundle
 * becomes.
 */
#include "unit.h"

#include <sys/stat.h>

#include "../../cli/agent.c"
#include "../../cli/msg.c"
#include "../../cli/oci_bundle.c"
#include "../../cli/oci_config.c"
#include "../../cli/oci_pod.c"
#include "../../cli/options.c"
#include "../../cli/state.c"
#include "../../cli/volume.c"
#include "../../kernel/lib/cmdline.c"
#include "../../kernel/lib/json.c"
#include "../../kernel/lib/json_node.c"
#include "../../kernel/lib/json_string.c"

#define DATA "tests/unit/data/oci/"

static char file_text[64 << 10];

/* Parse the config file @name of tests/unit/data/oci for bundle /b. */
static int read_config(const char *name, struct oci_config *c, char *err, size_t errlen)
{
	FILE *f = fopen(name, "r");
	size_t n = f ? fread(file_text, 1, sizeof(file_text), f) : 0;

	if (f)
		fclose(f);
	if (!n) {
		snprintf(err, errlen, "cannot read %s", name);
		memset(c, 0, sizeof(*c));
		return -1;
	}
	return oci_config_parse(file_text, n, "/b", c, err, errlen);
}

/* A minimal valid config with @process_extra inside "process" and @extra
 * at the top level; "ok" or the error. */
static const char *parse_with(const char *process_extra, const char *extra)
{
	static char err[512];
	struct oci_config c;
	char text[4096];

	snprintf(text, sizeof(text),
		 "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},\n"
		 " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"%s%s}%s%s}",
		 *process_extra ? ", " : "", process_extra, *extra ? ", " : "", extra);
	if (oci_config_parse(text, strlen(text), "/b", &c, err, sizeof(err)) == 0)
		strcpy(err, "ok");
	oci_config_free(&c);
	return err;
}

static size_t count_binds(const struct oci_config *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nmounts; i++)
		n += c->mounts[i].bind;
	return n;
}

TEST(oci_runc_spec)
{
	struct oci_config c;
	char err[256] = "";

	CHECK_EQ(read_config(DATA "runc-spec.json", &c, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_STR(c.args[0], "sh");
	CHECK(c.args[1] == NULL);
	CHECK(c.terminal);
	CHECK_STR(c.cwd, "/");
	CHECK_STR(c.rootfs, "/b/rootfs");
	CHECK(c.readonly);
	CHECK_STR(c.hostname, "runc");
	CHECK_STR(c.env[1], "TERM=xterm");
	CHECK_EQ(c.nrlimits, 1);
	CHECK(c.rlimits[0].resource == 7 && c.rlimits[0].soft == 1024 && c.rlimits[0].hard == 1024);
	CHECK_EQ(c.nmounts, 7);
	CHECK_EQ(count_binds(&c), 0);
	/* A network namespace without a path: a new, empty one. */
	CHECK(c.netns == NULL && !c.host_network);
	CHECK_EQ(c.memory, 0);
	oci_config_free(&c);
	oci_config_free(&c); /* harmless twice */
}

TEST(oci_podman_default)
{
	struct oci_config c;
	char err[256] = "";

	CHECK_EQ(read_config(DATA "podman-default.json", &c, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_STR(c.args[0], "true");
	CHECK(!c.terminal);
	CHECK(c.rootfs[0] == '/' && strstr(c.rootfs, "/merged"));
	CHECK(!c.readonly);
	CHECK(c.netns && !strncmp(c.netns, "/run/netns/netns-", 17));
	CHECK(c.uid == 0 && c.gid == 0);
	CHECK_EQ(c.nrlimits, 2);
	CHECK_EQ(count_binds(&c), 5); /* resolv.conf, hosts, shm, .containerenv, hostname */
	CHECK(c.hostname && strlen(c.hostname) == 12);
	oci_config_free(&c);
}

TEST(oci_podman_options)
{
	struct oci_config c;
	char err[256] = "";
	bool data = false, foo = false;

	CHECK_EQ(read_config(DATA "podman-options.json", &c, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK(c.uid == 1000 && c.gid == 1000);
	CHECK_STR(c.groups, "1000");
	CHECK_STR(c.cwd, "/tmp");
	CHECK_STR(c.hostname, "box1");
	for (size_t i = 0; c.env[i]; i++)
		foo |= !strcmp(c.env[i], "FOO=bar");
	CHECK(foo);
	for (size_t i = 0; i < c.nmounts; i++)
		if (!strcmp(c.mounts[i].destination, "/data"))
			data = c.mounts[i].bind && c.mounts[i].ro &&
			       !strcmp(c.mounts[i].source, "/tmp/ocidata");
	CHECK(data);
	oci_config_free(&c);
}

TEST(oci_podman_tty_memory)
{
	struct oci_config c;
	char err[256] = "";

	CHECK_EQ(read_config(DATA "podman-tty-memory.json", &c, err, sizeof(err)), 0);
	CHECK(c.terminal);
	CHECK_EQ(c.memory, 64 << 20);
	oci_config_free(&c);
}

TEST(oci_refuses_with_reasons)
{
	CHECK_STR(parse_with("", ""), "ok");
	CHECK_STR(parse_with("\"args\": []", ""), "process.args: args must not be empty");
	CHECK_STR(parse_with("\"args\": [\"sh\", 1]", ""),
		  "process.args[1]: expected a string, found a number");
	CHECK_STR(parse_with("\"args\": \"sh\"", ""),
		  "process.args: expected an array, found a string (line 2)");
	CHECK_STR(parse_with("\"cwd\": \"tmp\"", ""), "process.cwd: tmp must be an absolute path");
	CHECK_STR(parse_with("\"env\": [\"A=1\", \"B\"]", ""),
		  "process.env[1]: 'B' is not NAME=VALUE");
	CHECK_STR(parse_with("\"env\": [\"a\\u0000b=1\"]", ""),
		  "process.env[0]: a NUL character inside");
	CHECK_STR(parse_with("\"user\": {\"uid\": -1}", ""),
		  "process.user.uid: -1 is not an integer from 0 to 4294967294");
	CHECK_STR(parse_with("\"user\": {\"uid\": 1.5}", ""),
		  "process.user.uid: 1.5 is not an integer from 0 to 4294967294");
	CHECK_STR(parse_with("\"user\": {\"uid\": 1, \"additionalGids\": [\"x\"]}", ""),
		  "process.user.additionalGids: a string is not a group id");
	CHECK_STR(parse_with("\"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"hard\": 1}]", ""),
		  "process.rlimits[0]: unknown rlimit type RLIMIT_FOO");
	CHECK_STR(
		parse_with("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 2, \"hard\": 1}]",
			   ""),
		"process.rlimits[0]: soft limit 2 above the hard limit 1");
	CHECK_STR(parse_with("\"terminal\": \"yes\"", ""),
		  "process.terminal: expected a boolean, found a string (line 2)");
	CHECK_STR(parse_with("", "\"mounts\": [{\"destination\": \"/data\", \"type\": \"tmpfs\"}]"),
		  "mounts[0]: mount of type 'tmpfs' at /data is not supported (a monos guest has "
		  "its own /proc, /sys, /dev, /tmp and /run; other places take bind mounts)");
	CHECK_STR(parse_with("", "\"mounts\": [{\"destination\": \"/proc\", \"type\": \"nfs\"}]"),
		  "mounts[0]: mount of type 'nfs' at /proc is not supported (a monos guest has "
		  "its own /proc, /sys, /dev, /tmp and /run; other places take bind mounts)");
	CHECK_STR(parse_with("", "\"mounts\": [{\"destination\": \"/d\", \"type\": \"bind\"}]"),
		  "mounts[0]: a bind mount at /d needs a source");
	CHECK_STR(parse_with("", "\"mounts\": [{\"destination\": \"d\", \"type\": \"bind\", "
				 "\"source\": \"/x\"}]"),
		  "mounts[0]: destination must be an absolute path");
	CHECK_STR(parse_with("", "\"mounts\": [{\"destination\": \"/d\", \"source\": \"/x\", "
				 "\"options\": [\"rbind\", \"ro\"]}]"),
		  "ok");
	CHECK_STR(parse_with("", "\"linux\": {\"namespaces\": [{\"type\": \"user\"}]}"),
		  "linux.namespaces[0]: user namespaces are not supported (run the container "
		  "manager as root)");
	CHECK_STR(parse_with("", "\"linux\": {\"uidMappings\": [{\"containerID\": 0}]}"),
		  "linux.uidMappings: user namespaces are not supported");
	CHECK_STR(parse_with("", "\"linux\": {\"resources\": {\"memory\": {\"limit\": -1}}}"),
		  "ok");
	CHECK_STR(parse_with("", "\"linux\": {\"resources\": {\"memory\": {\"limit\": -2}}}"),
		  "linux.resources.memory.limit: -2 is not a size");
	CHECK_STR(parse_with("", "\"hooks\": {\"createContainer\": []}"),
		  "hooks: createContainer and startContainer hooks run inside the container, a "
		  "virtual machine under monos: not supported");
	CHECK_STR(parse_with("", "\"hooks\": {\"prestart\": [{\"path\": \"true\"}]}"),
		  "hooks.prestart[0].path: must be an absolute path");
	CHECK_STR(parse_with("", "\"hooks\": {\"poststop\": [{\"path\": \"/bin/true\", "
				 "\"timeout\": 0}]}"),
		  "hooks.poststop[0].timeout: must be positive");
	CHECK_STR(parse_with("", "\"ociVersion\": \"2.0\""),
		  "ociVersion: 2.0: monos reads runtime-spec 1.x"); /* the last key wins */
	CHECK_STR(parse_with("", "\"root\": {\"path\": \"\"}"), "root.path: missing");
	CHECK_STR(parse_with("", "\"unknownField\": {\"any\": [1, 2]}"), "ok");
}

TEST(oci_not_json)
{
	struct oci_config c;
	char err[256];

	CHECK_EQ(oci_config_parse("{\n \"process\": ,}", 16, "/b", &c, err, sizeof(err)), -1);
	CHECK_STR(err,
		  "config.json: line 2, column 13: unexpected character ',', expected a value");
	oci_config_free(&c);
	CHECK_EQ(oci_config_parse("[]", 2, "/b", &c, err, sizeof(err)), -1);
	CHECK_STR(err, "config.json: expected an object, found an array");
	oci_config_free(&c);
	CHECK_EQ(oci_config_parse("{}", 2, "/b", &c, err, sizeof(err)), -1);
	CHECK_STR(err, "ociVersion: (none): monos reads runtime-spec 1.x");
	oci_config_free(&c);
}

TEST(oci_hooks_read)
{
	struct oci_config c;
	char err[256];
	const char *text =
		"{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"/r\"}, \"process\": "
		"{\"args\": [\"a\"], \"cwd\": \"/\"}, \"hooks\": {\"prestart\": "
		"[{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"x\"], \"env\": "
		"[\"A=1\"], \"timeout\": 5}], \"poststop\": [{\"path\": \"/bin/true\"}]}}";

	CHECK_EQ(oci_config_parse(text, strlen(text), "/b", &c, err, sizeof(err)), 0);
	CHECK_EQ(c.nhooks[OCI_HOOK_PRESTART], 1);
	CHECK_EQ(c.nhooks[OCI_HOOK_POSTSTOP], 1);
	CHECK_EQ(c.nhooks[OCI_HOOK_POSTSTART], 0);
	CHECK_STR(c.hooks[OCI_HOOK_PRESTART][0].args[2], "x");
	CHECK_STR(c.hooks[OCI_HOOK_PRESTART][0].env[0], "A=1");
	CHECK_EQ(c.hooks[OCI_HOOK_PRESTART][0].timeout, 5);
	CHECK(c.hooks[OCI_HOOK_POSTSTOP][0].args[0] == NULL);
	CHECK_STR(c.rootfs, "/r");
	oci_config_free(&c);
}

/* A bundle in a temporary directory: rootfs/bin/busybox (executable),
 * rootfs/usr/bin/sh -> /bin/busybox (absolute: resolved inside the
 * rootfs), rootfs/etc/motd (not executable), a data directory and a file
 * to bind. */
static void make_bundle(char *dir)
{
	char path[512];
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	const char *dirs[] = { "rootfs",	 "rootfs/bin", "rootfs/usr",
			       "rootfs/usr/bin", "rootfs/etc", "data" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, dirs[i]);
		mkdir(path, 0755);
	}
	const char *files[] = { "rootfs/bin/busybox", "rootfs/etc/motd", "hosts" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		f = fopen(path, "w");
		if (f)
			fclose(f);
		chmod(path, i ? 0644 : 0755);
	}
	snprintf(path, sizeof(path), "%s/rootfs/usr/bin/sh", dir);
	CHECK_EQ(symlink("/bin/busybox", path), 0);
}

/* oci_bundle_args over @dir's rootfs for process.args @args and env PATH
 * @path: the error, or "exe=EXE args=ARG ARG...". */
static const char *bundle_args(const char *dir, const char *args, const char *path)
{
	static char out[2048];
	struct oci_config c;
	char text[2048], err[512];
	size_t n;

	snprintf(text, sizeof(text),
		 "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"hostname\": "
		 "\"h1\",\n"
		 " \"process\": {\"args\": %s, \"cwd\": \"/etc\", \"env\": [\"PATH=%s\"],"
		 " \"user\": {\"uid\": 5, \"gid\": 6}},\n"
		 " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\"},"
		 " {\"destination\": \"/srv\", \"type\": \"bind\", \"source\": \"%s/data\","
		 " \"options\": [\"ro\"]},"
		 " {\"destination\": \"/etc/hosts\", \"type\": \"bind\", \"source\": "
		 "\"%s/hosts\"}],\n"
		 " \"linux\": {\"resources\": {\"memory\": {\"limit\": 100000000}}}}",
		 args, path, dir, dir);
	if (oci_config_parse(text, strlen(text), dir, &c, err, sizeof(err))) {
		snprintf(out, sizeof(out), "parse: %s", err);
	} else {
		oci_bundle_args(&c, err, sizeof(err)); /* run's parse: checked by the caller */
		n = (size_t)snprintf(out, sizeof(out), "exe=%s args=", c.exe ? c.exe : "(none)");
		for (int i = 0; i < c.run_argc && n < sizeof(out); i++)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? " " : "",
					      c.run_args[i]);
		if (!c.exe)
			snprintf(out, sizeof(out), "%s", err);
	}
	oci_config_free(&c);
	return out;
}

TEST(oci_bundle_program_and_args)
{
	char dir[] = "/tmp/monos-oci-bundle-XXXXXX", want[2048], cmd[128];

	make_bundle(dir);
	snprintf(want, sizeof(want),
		 "exe=/usr/bin/sh args=-m 100003840 -e PATH=/nope:/usr/bin --rootfs "
		 "%s/rootfs:rw -w /etc --hostname h1 -v %s/data:/srv:ro --file %s/hosts:/etc/hosts "
		 "--net user -- sh -c x",
		 dir, dir, dir);
	CHECK_STR(bundle_args(dir, "[\"sh\", \"-c\", \"x\"]", "/nope:/usr/bin"), want);
	CHECK(strncmp(bundle_args(dir, "[\"/bin/busybox\"]", "/x"), "exe=/bin/busybox ", 17) == 0);
	CHECK(strncmp(bundle_args(dir, "[\"../bin/busybox\"]", "/x"), "exe=/etc/../bin/busybox ",
		      24) == 0);
	CHECK_STR(bundle_args(dir, "[\"busybox\"]", "/usr/bin:/etc"),
		  "exec: \"busybox\": executable file not found in $PATH");
	CHECK_STR(bundle_args(dir, "[\"motd\"]", "/etc"),
		  "exec: \"motd\": executable file not found in $PATH");
	CHECK_STR(bundle_args(dir, "[\"/bin/nope\"]", "/bin"),
		  "exec: \"/bin/nope\": stat /bin/nope: No such file or directory");
	CHECK_STR(bundle_args(dir, "[\"/etc/motd\"]", "/bin"),
		  "exec: \"/etc/motd\": stat /etc/motd: Permission denied");
	/* ".." stays inside the rootfs, as under chroot. */
	CHECK(strncmp(bundle_args(dir, "[\"/../../bin/busybox\"]", "/x"), "exe=/../../bin/busybox ",
		      23) == 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_EQ(system(cmd), 0);
}

/* A Pod's sandbox: by CRI's annotations, else by podman's or Kubernetes'
 * pause program; an application container is none. */
TEST(oci_pod_sandbox)
{
	static const struct {
		const char *args, *annotations;
		bool sandbox;
	} cases[] = {
		{ "\"/catatonit\", \"-P\"", "", true },
		{ "\"/pause\"", "", true },
		{ "\"/catatonit\", \"--\", \"sh\"", "", false },
		{ "\"/pause\", \"x\"", "", false },
		{ "\"sh\"", "\"io.kubernetes.cri.container-type\": \"sandbox\"", true },
		{ "\"sh\"", "\"io.kubernetes.cri-o.ContainerType\": \"sandbox\"", true },
		{ "\"/pause\"", "\"io.kubernetes.cri.container-type\": \"container\"", false },
		{ "\"sh\"", "\"io.kubernetes.cri-o.ContainerType\": \"container\"", false },
	};
	char text[1024], err[256];
	struct oci_config c;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text),
			 "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
			 " \"process\": {\"args\": [%s], \"cwd\": \"/\"},"
			 " \"annotations\": {%s}}",
			 cases[i].args, cases[i].annotations);
		CHECK_EQ(oci_config_parse(text, strlen(text), "/b", &c, err, sizeof(err)), 0);
		CHECK(c.sandbox == cases[i].sandbox);
		oci_config_free(&c);
	}
}

int main(void)
{
	RUN(oci_pod_sandbox);
	RUN(oci_runc_spec);
	RUN(oci_podman_default);
	RUN(oci_podman_options);
	RUN(oci_podman_tty_memory);
	RUN(oci_refuses_with_reasons);
	RUN(oci_not_json);
	RUN(oci_hooks_read);
	RUN(oci_bundle_program_and_args);
	return unit_summary();
}
