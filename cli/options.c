/*
 * The command line of `monos run`: flags in the style of `docker run`, parsed
 * by hand so that every error names the flag and value at fault.  Parsing
 * stops at the first argument that is not an option (PROGRAM) or after "--";
 * everything from there on belongs to the program.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lib/cmdline.h>

#include "cli.h"

const char options_run_help[] =
	"Usage: monos run [OPTIONS] [--] PROGRAM|IMAGE [ARGS...]\n"
	"       monos run [OPTIONS] -f monos.yaml [--] [ARGS...]\n"
	"\n"
	"Boot PROGRAM, a Linux x86-64 executable (static, or dynamic: its interpreter and\n"
	"libraries are packed with it) or a '#!' script (run by its interpreter, packed\n"
	"with its libraries; for '#!/usr/bin/env CMD', CMD as found on PATH), in its own\n"
	"monos virtual machine and relay its stdin, stdout, stderr and exit status.\n"
	"PROGRAM without a '/' is looked up on PATH.  Option parsing stops at PROGRAM:\n"
	"what follows is its ARGS.  IMAGE, a name without '/' that the image store holds\n"
	"('monos images'), runs that image with these flags over its configuration.\n"
	"\n"
	"Options:\n"
	"  -m, --memory SIZE      memory of the instance (default 256M); SIZE is bytes or\n"
	"                         takes a K, M or G suffix; at least 2M\n"
	"  -e, --env NAME=VALUE   set an environment variable for the program (repeatable);\n"
	"                         -e NAME alone passes NAME's value from monos' environment\n"
	"                         (skipped when unset).  Nothing else of the host\n"
	"                         environment is passed.\n"
	"      --file HOST[:GUEST]\n"
	"                         put the file or directory tree HOST into the image at\n"
	"                         GUEST (absolute; default: HOST's absolute path).  The\n"
	"                         last ':' splits HOST from GUEST (repeatable).  Without\n"
	"                         GUEST, symlinks on the way are packed as symlinks.\n"
	"                         A file never replaces a directory (/, /tmp, /dev,\n"
	"                         /proc, /sys, /etc, /root, or one already packed).\n"
	"                         Each dynamic executable in HOST brings its\n"
	"                         interpreter and libraries, each executable '#!'\n"
	"                         script its interpreter.  Add the tools a script runs\n"
	"                         with --file too: --file /usr/bin/env --file /bin/dash\n"
	"      --disk FILE[:ro]   attach the host disk file FILE (raw, or qcow2 when it\n"
	"                         starts with qcow2's magic; a block device works too)\n"
	"                         as a virtio-blk disk: /dev/vda, then /dev/vdb... in\n"
	"                         the order given (repeatable, at most 16).  :ro\n"
	"                         attaches it read-only.  The guest's fsync makes its\n"
	"                         writes durable in FILE\n"
	"      --seed FILE        attach FILE read-only as a cloud-init NoCloud seed (an\n"
	"                         ISO 9660 or FAT image labelled cidata, as cloud-localds\n"
	"                         makes): the kernel applies its meta-data, user-data\n"
	"                         and network-config before the program starts; --ip\n"
	"                         and --gateway win over its network-config.  It takes\n"
	"                         the next disk name, as --disk does\n"
	"  -v, --volume SRC:DIR[:ro]\n"
	"                         mount SRC at DIR (absolute; made if the image lacks\n"
	"                         it), as docker does (repeatable).  SRC is a host\n"
	"                         directory (absolute, or starting with ./ or ../),\n"
	"                         shared through virtio-9p: the guest reads and writes\n"
	"                         the host's files, with the host's owners and modes;\n"
	"                         a raw or qcow2 disk file holding ext4; or a volume's\n"
	"                         name ('monos volume create').  A volume in use\n"
	"                         read-write by another instance is refused.  :ro\n"
	"                         mounts it read-only (writes fail with EROFS; several\n"
	"                         instances may share it so).  -v /usr:/usr:ro runs\n"
	"                         the host's interpreters with no --file: what a\n"
	"                         share serves at its own path is not packed\n"
	"      --rootfs DIR[:rw]  host directory DIR is the guest's root, read-only\n"
	"                         (:rw: writable, the guest's writes reach DIR), with\n"
	"                         the guest's own /dev, /proc, /sys, /tmp and /run\n"
	"                         over it; with --rootfs / nothing of PROGRAM is\n"
	"                         packed\n"
	"      --accel MODE       auto (default), kvm or tcg.  auto uses KVM only when\n"
	"                         /dev/kvm is usable and kvm_intel or kvm_amd is loaded\n"
	"      --machine TYPE     microvm (default; virtio-mmio devices, fastest start)\n"
	"                         or q35 (PCI: virtio-pci devices with MSI-X, the\n"
	"                         machine clouds and libvirt use)\n"
	"      --net MODE         none (default): no network device; user: a virtio-net\n"
	"                         device on QEMU's user-mode networking (no setup, no\n"
	"                         privileges; the guest is 10.0.2.15, the host 10.0.2.2);\n"
	"                         tap:NAME: a virtio-net device on the host's existing\n"
	"                         tap device NAME (faster; the guest is reachable at\n"
	"                         its own address, set with --ip)\n"
	"  -p, --publish [IP:]HOST:GUEST[/tcp|/udp]\n"
	"                         forward the host's port HOST (on 127.0.0.1 unless IP\n"
	"                         is given) to the program's port GUEST; implies\n"
	"                         --net user\n"
	"      --ip ADDR/PREFIX|dhcp\n"
	"                         the guest's IPv4 address (default 10.0.2.15/24); dhcp\n"
	"                         asks the network's DHCP server, and the program\n"
	"                         starts once the lease is taken\n"
	"      --gateway ADDR     the guest's IPv4 default route (default 10.0.2.2)\n"
	"      --ulimit NAME=SOFT[:HARD]\n"
	"                         a resource limit of the program (docker's names:\n"
	"                         nofile, nproc, stack, core...; -1: unlimited)\n"
	"      --mac XX:XX:XX:XX:XX:XX\n"
	"                         the guest's network device's MAC address (default:\n"
	"                         QEMU's)\n"
	"  -f, --manifest FILE    take the program, its arguments and the settings from\n"
	"                         the manifest FILE (monos.yaml: docs/manifest.md); the\n"
	"                         flags given here override its keys, add to its lists\n"
	"                         (-e, --file, -p, --volume), and ARGS replace its args\n"
	"  -u, --user USER[:GROUP]\n"
	"                         run the program as USER and GROUP (names or numbers),\n"
	"                         as docker does: names are looked up in the image's\n"
	"                         /etc/passwd and /etc/group (monos' generated ones unless\n"
	"                         --file packs them); a user number not found there runs\n"
	"                         with group 0.  Default: root\n"
	"      --api [IP:]PORT    serve the management API (docs/agent.md) in the guest\n"
	"                         on PORT (all addresses unless IP), with the token of\n"
	"                         --api-token-file FILE or $MONOS_API_TOKEN; without a\n"
	"                         token it does not start.  Publish it with -p\n"
	"      --health tcp:PORT|http://:PORT/PATH\n"
	"                         check the program's health from inside the guest:\n"
	"                         starting, healthy, unhealthy (in the API, /healthz)\n"
	"      --health-interval S, --health-timeout S, --health-retries N\n"
	"                         every S seconds (10), at most S seconds each (3),\n"
	"                         unhealthy after N failures in a row (3)\n"
	"      --etcd http://IP:PORT --service NAME [--etcd-ttl S]\n"
	"                         register in etcd (v3 gateway) as /monos/services/NAME/ID\n"
	"                         under a lease of S seconds (10), while healthy\n"
	"  -w, --workdir DIR      start the program in guest directory DIR (absolute;\n"
	"                         default: the directory monos runs in)\n"
	"      --hostname NAME    the guest's host name (uname, /proc/sys/kernel/hostname;\n"
	"                         1 to 64 characters; default: monos)\n"
	"      --trace-syscalls   print every system call of the program on stderr\n"
	"  -d, --detach           run in the background: print the instance's id and\n"
	"                         return; see 'monos ps', 'monos logs', 'monos stop'\n"
	"      --name NAME        name the instance (unique; default: its short id)\n"
	"      --restart POLICY   no (default), on-failure[:N] (restart when the program\n"
	"                         fails, at most N times) or always, with a growing\n"
	"                         delay (0.1 s doubling to 60 s; a detached instance)\n"
	"      --verbose          show the kernel log, QEMU's messages and the accelerator\n"
	"  -h, --help             show this help\n"
	"\n"
	"Options taking a value also accept --memory=SIZE and -mSIZE.\n"
	"\n"
	"Environment: MONOS_KERNEL (kernel file; default: monos-kernel beside monos),\n"
	"MONOS_QEMU (QEMU binary; default: qemu-system-x86_64 on PATH), MONOS_QEMU_ARGS\n"
	"(extra QEMU arguments, split on spaces, appended to QEMU's command line; for\n"
	"developers, e.g. \"-icount shift=0,sleep=on\"), MONOS_KERNEL_ARGS (extra\n"
	"kernel options, space separated, appended to the kernel command line; for\n"
	"developers, e.g. \"monos.nettest=1\"), MONOS_BLKLOG (a file: record the first\n"
	"--volume's writes and flushes in it with QEMU's blklogwrites, for the crash\n"
	"test tests/cli/volume_blklog.sh), TMPDIR.\n"
	"\n"
	"Signals: SIGINT (Ctrl-C), SIGTERM and SIGHUP sent to monos reach the program;\n"
	"a second one kills the instance at once (exit status 128+N of that signal),\n"
	"unless it repeats the first within half a second (timeout(1) sends it twice).\n"
	"SIGQUIT reaches the program too (nginx's graceful stop), and is never counted.\n"
	"\n"
	"Exit status: the program's status; 128+N if it was killed by signal N\n"
	"(137 when out of memory); 125 if monos failed; 126 if PROGRAM cannot be\n"
	"run; 127 if PROGRAM was not found.\n";

enum opt_id {
	OPT_MEMORY,
	OPT_ENV,
	OPT_FILE,
	OPT_DISK,
	OPT_SEED,
	OPT_VOLUME,
	OPT_ROOTFS,
	OPT_ACCEL,
	OPT_MACHINE,
	OPT_NET,
	OPT_PUBLISH,
	OPT_IP,
	OPT_GATEWAY,
	OPT_MAC,
	OPT_ULIMIT,
	OPT_USER,
	OPT_WORKDIR,
	OPT_HOSTNAME,
	OPT_TRACE,
	OPT_DETACH,
	OPT_NAME,
	OPT_RESTART,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_MANIFEST,
	/* The in-guest agent's (cli/agent.c) */
	OPT_API,
	OPT_API_TOKEN_FILE,
	OPT_HEALTH,
	OPT_HEALTH_INTERVAL,
	OPT_HEALTH_TIMEOUT,
	OPT_HEALTH_RETRIES,
	OPT_ETCD,
	OPT_SERVICE,
	OPT_ETCD_TTL
};

struct opt_def {
	const char *lng; /* without "--" */
	char shrt;	 /* 0: no short form */
	bool has_arg;
	enum opt_id id;
};

/* clang-format off */
static const struct opt_def opt_defs[] = {
	{ "memory", 'm', true, OPT_MEMORY },   { "env", 'e', true, OPT_ENV },
	{ "file", 0, true, OPT_FILE },	       { "accel", 0, true, OPT_ACCEL },
	{ "machine", 0, true, OPT_MACHINE },   { "net", 0, true, OPT_NET },
	{ "publish", 'p', true, OPT_PUBLISH }, { "ip", 0, true, OPT_IP },
	{ "gateway", 0, true, OPT_GATEWAY },   { "trace-syscalls", 0, false, OPT_TRACE },
	{ "mac", 0, true, OPT_MAC },	       { "ulimit", 0, true, OPT_ULIMIT },
	{ "verbose", 0, false, OPT_VERBOSE },  { "help", 'h', false, OPT_HELP },
	{ "user", 'u', true, OPT_USER },       { "disk", 0, true, OPT_DISK },
	{ "seed", 0, true, OPT_SEED },	       { "volume", 'v', true, OPT_VOLUME },
	{ "rootfs", 0, true, OPT_ROOTFS },
	{ "detach", 'd', false, OPT_DETACH },	{ "name", 0, true, OPT_NAME },
	{ "restart", 0, true, OPT_RESTART },
	{ "manifest", 'f', true, OPT_MANIFEST },
	{ "api", 0, true, OPT_API },
	{ "api-token-file", 0, true, OPT_API_TOKEN_FILE },
	{ "health", 0, true, OPT_HEALTH },
	{ "health-interval", 0, true, OPT_HEALTH_INTERVAL },
	{ "health-timeout", 0, true, OPT_HEALTH_TIMEOUT },
	{ "health-retries", 0, true, OPT_HEALTH_RETRIES },
	{ "etcd", 0, true, OPT_ETCD },
	{ "service", 0, true, OPT_SERVICE },
	{ "etcd-ttl", 0, true, OPT_ETCD_TTL },
	{ "workdir", 'w', true, OPT_WORKDIR },
	{ "hostname", 0, true, OPT_HOSTNAME },
};
/* clang-format on */

#define NOPTS (sizeof(opt_defs) / sizeof(opt_defs[0]))

/* Record a failure: the message, and the errno the parser returns. */
#define fail msg_fail

static int parse_memory(struct run_options *o, const char *v, char *err, size_t errlen)
{
	uint64_t n;
	int rc = parse_size(v, strlen(v), &n);

	if (rc == -ERANGE)
		return fail(err, errlen, "--memory %s: too large", v);
	if (rc < 0)
		return fail(err, errlen, "--memory %s: not a size (use e.g. 512M or 2G)", v);
	if (n < OPTIONS_MIN_MEMORY)
		return fail(err, errlen, "--memory %s: too small, the minimum is 2M", v);
	if (n > OPTIONS_MAX_MEMORY)
		return fail(err, errlen, "--memory %s: too large, the maximum is 1T", v);
	if (n % 4096)
		return fail(err, errlen, "--memory %s: not a multiple of 4K", v);
	o->memory = n;
	return 0;
}

/* Add "NAME=VALUE", replacing an earlier setting of NAME (the last wins). */
static int env_set(struct run_options *o, char *kv)
{
	size_t namelen = strchr(kv, '=') - kv + 1;
	char **grown;

	for (size_t i = 0; i < o->nenv; i++) {
		if (strncmp(o->env[i], kv, namelen) == 0) {
			free(o->env[i]);
			o->env[i] = kv;
			return 0;
		}
	}
	grown = realloc(o->env, (o->nenv + 1) * sizeof(*grown));
	if (!grown) {
		free(kv);
		return -ENOMEM;
	}
	o->env = grown;
	o->env[o->nenv++] = kv;
	return 0;
}

static int parse_env(struct run_options *o, const char *v, char *err, size_t errlen,
		     char *(*getenv_fn)(const char *))
{
	const char *eq = strchr(v, '=');
	const char *val;
	char *kv;

	if (*v == '\0' || eq == v)
		return fail(err, errlen, "--env '%s': empty variable name", v);
	if (eq) {
		kv = strdup(v);
	} else {
		/* docker's rule: -e NAME takes NAME's value here, or nothing. */
		val = getenv_fn(v);
		if (!val)
			return 0;
		if (asprintf(&kv, "%s=%s", v, val) < 0)
			kv = NULL;
	}
	if (!kv || env_set(o, kv) < 0)
		return fail(err, errlen, "out of memory");
	return 0;
}

/* HOST[:GUEST]: the last ':' splits, so HOST may hold ':' when GUEST is given. */
static int parse_file(struct run_options *o, const char *v, char *err, size_t errlen)
{
	const char *colon = strrchr(v, ':');
	struct options_file f = { 0 }, *grown;

	if (colon) {
		if (colon == v)
			return fail(err, errlen, "--file '%s': empty HOST path", v);
		if (colon[1] != '/')
			return fail(err, errlen, "--file '%s': GUEST path '%s' must be absolute", v,
				    colon + 1);
		f.host = strndup(v, colon - v);
		f.guest = strdup(colon + 1);
	} else {
		if (*v == '\0')
			return fail(err, errlen, "--file: empty HOST path");
		f.host = strdup(v);
	}
	grown = realloc(o->files, (o->nfiles + 1) * sizeof(*grown));
	if (!f.host || (colon && !f.guest) || !grown) {
		free(f.host);
		free(f.guest);
		if (grown)
			o->files = grown;
		return fail(err, errlen, "out of memory");
	}
	o->files = grown;
	o->files[o->nfiles++] = f;
	return 0;
}

/* One more disk: `path` (`len` bytes), mounted at `target` (NULL: none);
 * `flag` and `v` (the option as given) name it in an error. */
static int add_disk(struct run_options *o, const char *flag, const char *v, const char *path,
		    size_t len, bool ro, const char *target, char *err, size_t errlen)
{
	struct options_disk *grown, *d;

	if (o->ndisks >= OPTIONS_MAX_DISKS)
		return fail(err, errlen, "%s %s: at most %d disks (--disk and --seed)", flag, v,
			    OPTIONS_MAX_DISKS);
	grown = realloc(o->disks, (o->ndisks + 1) * sizeof(*grown));
	if (!grown)
		return fail(err, errlen, "out of memory");
	o->disks = grown;
	d = &o->disks[o->ndisks++];
	*d = (struct options_disk){ .path = strndup(path, len), .ro = ro, .flag = flag };
	if (target)
		d->target = strdup(target);
	if (!d->path || (target && !d->target))
		return fail(err, errlen, "out of memory");
	return 0;
}

/* --disk FILE[:ro] and --seed FILE (always read-only): a final ":ro" asks
 * for read-only; the file itself is checked later (disk.c), once every flag
 * is known. */
static int parse_disk(struct run_options *o, const char *v, bool seed, char *err, size_t errlen)
{
	const char *flag = seed ? "--seed" : "--disk";
	size_t len = strlen(v);
	bool ro = !seed && len > 3 && strcmp(v + len - 3, ":ro") == 0;

	if (ro)
		len -= 3;
	if (!len)
		return fail(err, errlen, "%s '%s': empty FILE", flag, v);
	return add_disk(o, flag, v, v, len, ro || seed, NULL, err, errlen);
}

/* One more share of host directory `path` (resolved here) at `target`
 * (NULL: --rootfs). */
static int add_share(struct run_options *o, const char *flag, const char *path, const char *target,
		     bool ro, char *err, size_t errlen)
{
	struct options_share *grown, *s;
	char *real = realpath(path, NULL);

	if (!real)
		return fail(err, errlen, "%s %s: %s", flag, path, strerror(errno));
	if (o->nshares >= OPTIONS_MAX_SHARES) {
		free(real);
		return fail(err, errlen, "%s %s: at most %d shares", flag, path,
			    OPTIONS_MAX_SHARES);
	}
	if (!(grown = realloc(o->shares, (o->nshares + 1) * sizeof(*grown)))) {
		free(real);
		return fail(err, errlen, "out of memory");
	}
	o->shares = grown;
	s = &o->shares[o->nshares++];
	*s = (struct options_share){ .path = real, .ro = ro };
	if (target && !(s->target = strdup(target)))
		return fail(err, errlen, "out of memory");
	return 0;
}

/*
 * -v, --volume SRC:DIR[:ro], as docker's: SRC an existing host directory
 * (absolute, or starting with ./ or ../) is shared (share.c); a regular
 * file is a disk file holding ext4; anything else is a volume's name
 * (volume.c).  DIR is where the kernel mounts it, and the per-run entry's
 * format wants it absolute, without spaces or newlines.
 */
static int parse_volume(struct run_options *o, const char *v, char *err, size_t errlen)
{
	char buf[PATH_MAX], file[PATH_MAX], *dir, *src = buf;
	size_t len = strlen(v);
	bool ro = len > 3 && strcmp(v + len - 3, ":ro") == 0;
	struct stat st;

	if (len >= sizeof(buf))
		return fail(err, errlen, "--volume: too long");
	memcpy(buf, v, len + 1);
	if (ro)
		buf[len - 3] = 0;
	if (!(dir = strrchr(buf, ':')) || dir == buf)
		return fail(err, errlen, "--volume '%s': want SRC:DIR[:ro]", v);
	*dir++ = 0;
	if (dir[0] != '/' || !dir[1] || strpbrk(dir, " \t\n"))
		return fail(err, errlen,
			    "--volume '%s': DIR must be an absolute directory other than /, "
			    "without spaces",
			    v);
	if ((src[0] == '/' || !strncmp(src, "./", 2) || !strncmp(src, "../", 3)) &&
	    !stat(src, &st) && S_ISDIR(st.st_mode))
		return add_share(o, "--volume", src, dir, ro, err, errlen);
	if (!strchr(src, '/')) {
		if (volume_path(src, file, sizeof(file), err, errlen))
			return -EINVAL;
		if (stat(file, &st) < 0)
			return fail(err, errlen,
				    "--volume %s: no volume named %s (make it: monos volume "
				    "create %s --size SIZE)",
				    v, src, src);
		src = file;
	}
	return add_disk(o, "--volume", v, src, strlen(src), ro, dir, err, errlen);
}

/* --rootfs DIR[:ro|:rw]: the guest's tree served from host directory DIR
 * (share.c), read-only unless :rw (the host's own / must not be written
 * by accident; a container's root is writable as runc's). */
static int parse_rootfs(struct run_options *o, const char *v, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	size_t len = strlen(v);
	bool rw = len > 3 && !strcmp(v + len - 3, ":rw");
	struct stat st;

	if (o->rootfs)
		return fail(err, errlen, "--rootfs %s: given twice", v);
	if (len >= sizeof(dir))
		return fail(err, errlen, "--rootfs: too long");
	memcpy(dir, v, len + 1);
	if (rw || (len > 3 && !strcmp(v + len - 3, ":ro")))
		dir[len - 3] = 0;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return fail(err, errlen, "--rootfs %s: not a directory", dir);
	o->rootfs = true;
	return add_share(o, "--rootfs", dir, NULL, !rw, err, errlen);
}

/* A port number 1..65535 that is the whole of [s, end). */
static long port_of(const char *s, const char *end)
{
	long v = 0;

	if (s == end || end - s > 5)
		return -1;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v >= 1 && v <= 65535 ? v : -1;
}

/* An IPv4 address in dotted-quad form, exactly (inet_pton's AF_INET rules). */
static bool ipv4_ok(const char *s, size_t len)
{
	char a[INET_ADDRSTRLEN];
	struct in_addr in;

	if (len == 0 || len >= sizeof(a))
		return false;
	memcpy(a, s, len);
	a[len] = 0;
	return inet_pton(AF_INET, a, &in) == 1;
}

/* -p [IP:]HOST:GUEST[/tcp|/udp], as docker's; the host side listens on
 * 127.0.0.1 unless IP is given.  Every part is checked here (QEMU would take
 * "1:2:3:4" or 999.1.1.1 and fail late, or not at all); becomes a hostfwd
 * of QEMU's user network. */
static int parse_publish(struct run_options *o, const char *v, char *err, size_t errlen)
{
	const char *slash = strchr(v, '/'), *end = slash ? slash : v + strlen(v);
	const char *c2 = NULL, *c1 = NULL, *proto = "tcp";
	char ip[INET_ADDRSTRLEN] = "127.0.0.1", *grown;
	long host, guest;

	if (slash && strcmp(slash, "/tcp") && strcmp(slash, "/udp"))
		return fail(err, errlen, "--publish %s: the protocol must be tcp or udp", v);
	if (slash)
		proto = slash + 1;
	for (const char *q = v; q < end; q++) {
		if (*q == ':' && c1)
			return fail(err, errlen, "--publish %s: use [IP:]HOST:GUEST (e.g. 8080:80)",
				    v);
		if (*q == ':')
			c1 = c2, c2 = q; /* c2: the last ':', c1: the one before */
	}
	if (!c2)
		return fail(err, errlen, "--publish %s: use HOST:GUEST (e.g. 8080:80)", v);
	if (c1) {
		if (!ipv4_ok(v, c1 - v))
			return fail(err, errlen, "--publish %s: '%.*s' is not an IPv4 address", v,
				    (int)(c1 - v), v);
		memcpy(ip, v, c1 - v);
		ip[c1 - v] = 0;
	}
	host = port_of(c1 ? c1 + 1 : v, c2);
	guest = port_of(c2 + 1, end);
	if (host < 0 || guest < 0)
		return fail(err, errlen, "--publish %s: ports are numbers from 1 to 65535", v);
	if (asprintf(&grown, "%s,hostfwd=%s:%s:%ld-:%ld", o->publish ? o->publish : "", proto, ip,
		     host, guest) < 0)
		return fail(err, errlen, "out of memory");
	free(o->publish);
	o->publish = grown;
	return 0;
}

/* A tap device's name as Linux takes it: 1 to IFNAMSIZ-1 characters, none of
 * them '/', ':', ',' (QEMU's separator) or white space. */
static bool tap_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= IFNAMSIZ || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *c = name; *c; c++)
		if (*c == '/' || *c == ':' || *c == ',' || *c <= ' ' || *c == 0x7f)
			return false;
	return true;
}

/* --net none | user | tap:NAME */
static int parse_net(struct run_options *o, const char *v, char *err, size_t errlen)
{
	o->net_given = true;
	if (strcmp(v, "none") == 0) {
		o->net = OPTIONS_NET_NONE;
	} else if (strcmp(v, "user") == 0) {
		o->net = OPTIONS_NET_USER;
	} else if (strncmp(v, "tap:", 4) == 0) {
		if (!tap_name_ok(v + 4))
			return fail(err, errlen, "--net %s: not a network interface name", v);
		free(o->tap);
		if (!(o->tap = strdup(v + 4)))
			return fail(err, errlen, "out of memory");
		o->net = OPTIONS_NET_TAP;
	} else {
		return fail(err, errlen, "--net %s: use none, user or tap:NAME", v);
	}
	return 0;
}

/* --ip ADDR/PREFIX | dhcp, and --gateway ADDR: checked here so that the
 * kernel, which only logs a bad value, never sees one. */
static int parse_ip(struct run_options *o, enum opt_id id, const char *v, char *err, size_t errlen)
{
	char **slot = id == OPT_IP ? &o->ip : &o->gateway;

	if (id == OPT_IP && strcmp(v, "dhcp") != 0) {
		const char *slash = strchr(v, '/');
		char *end;
		long prefix = slash ? strtol(slash + 1, &end, 10) : -1;

		if (!slash || !ipv4_ok(v, slash - v) || end == slash + 1 || *end || prefix < 1 ||
		    prefix > 32)
			return fail(err, errlen,
				    "--ip %s: use ADDR/PREFIX (e.g. 192.168.1.5/24) or dhcp", v);
	} else if (id == OPT_GATEWAY && !ipv4_ok(v, strlen(v))) {
		return fail(err, errlen, "--gateway %s: not an IPv4 address", v);
	}
	free(*slot);
	if (!(*slot = strdup(v)))
		return fail(err, errlen, "out of memory");
	return 0;
}

/* --mac: six hexadecimal octets joined by ':', a unicast address (the
 * low bit of the first octet clear: IEEE 802-2014 8.2.2), as QEMU takes it. */
static int parse_mac(struct run_options *o, const char *v, char *err, size_t errlen)
{
	unsigned b[6];
	int end = 0;

	if (strlen(v) != sizeof(o->mac) - 1 ||
	    sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6 ||
	    end != (int)strlen(v) || strspn(v, "0123456789abcdefABCDEF:") != strlen(v))
		return fail(err, errlen, "--mac %s: not a MAC address (XX:XX:XX:XX:XX:XX)", v);
	if (b[0] & 1)
		return fail(err, errlen, "--mac %s: a multicast address", v);
	snprintf(o->mac, sizeof(o->mac), "%s", v);
	return 0;
}

/* docker's --ulimit names, indexed by Linux's RLIMIT_* numbers
 * (include/uapi/asm-generic/resource.h). */
static const char *const ulimit_names[] = { "cpu",	"fsize", "data",   "stack",
					    "core",	"rss",	 "nproc",  "nofile",
					    "memlock",	"as",	 "locks",  "sigpending",
					    "msgqueue", "nice",	 "rtprio", "rttime" };

/* One --ulimit value: decimal, or -1 / "unlimited" for RLIM_INFINITY. */
static bool ulimit_value(const char *s, size_t n, unsigned long long *v)
{
	char buf[24], *end;

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!strcmp(buf, "-1") || !strcmp(buf, "unlimited")) {
		*v = ~0ull;
		return true;
	}
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return buf[0] >= '0' && buf[0] <= '9' && !*end && !errno;
}

/* --ulimit NAME=SOFT[:HARD] (docker's form; HARD defaults to SOFT): a line
 * "RESOURCE SOFT HARD" of the per-run rlimits entry (bootinfo.h). */
static int parse_ulimit(struct run_options *o, const char *v, char *err, size_t errlen)
{
	const char *eq = strchr(v, '='), *colon = eq ? strchr(eq, ':') : NULL;
	unsigned long long soft, hard;
	size_t res = 0, old = o->rlimits ? strlen(o->rlimits) : 0;
	char *grown;

	while (eq && res < sizeof(ulimit_names) / sizeof(ulimit_names[0]) &&
	       (strlen(ulimit_names[res]) != (size_t)(eq - v) ||
		strncmp(v, ulimit_names[res], (size_t)(eq - v))))
		res++;
	if (!eq || res == sizeof(ulimit_names) / sizeof(ulimit_names[0]))
		return fail(err, errlen,
			    "--ulimit %s: use NAME=SOFT[:HARD] with NAME nofile, "
			    "nproc, stack, core, ...",
			    v);
	if (!ulimit_value(eq + 1, colon ? (size_t)(colon - eq - 1) : strlen(eq + 1), &soft) ||
	    !ulimit_value(colon ? colon + 1 : eq + 1, strlen(colon ? colon + 1 : eq + 1), &hard))
		return fail(err, errlen, "--ulimit %s: not a number", v);
	if (soft > hard)
		return fail(err, errlen, "--ulimit %s: the soft limit is above the hard one", v);
	if (!(grown = realloc(o->rlimits, old + 64)))
		return fail(err, errlen, "out of memory");
	o->rlimits = grown;
	snprintf(grown + old, 64, "%zu %llu %llu\n", res, soft, hard);
	return 0;
}

/* After every flag: the network flags must agree with each other. */
static int check_net(struct run_options *o, char *err, size_t errlen)
{
	if (o->publish) {
		if (o->net_given && o->net != OPTIONS_NET_USER)
			return fail(err, errlen,
				    "--publish needs --net user (with --net %s the guest has no "
				    "forwarded ports%s)",
				    o->net == OPTIONS_NET_TAP ? "tap" : "none",
				    o->net == OPTIONS_NET_TAP ? "; reach it at its own address"
							      : "");
		o->net = OPTIONS_NET_USER;
	}
	if ((o->ip || o->gateway || o->mac[0]) && o->net == OPTIONS_NET_NONE)
		return fail(err, errlen, "--%s needs a network: --net user or --net tap:NAME",
			    o->ip	 ? "ip"
			    : o->gateway ? "gateway"
					 : "mac");
	if (o->gateway && o->ip && strcmp(o->ip, "dhcp") == 0)
		return fail(err, errlen, "--gateway %s: --ip dhcp takes the gateway from the lease",
			    o->gateway);
	return 0;
}

/* -u USER[:GROUP]: checked for shape here; names are resolved against the
 * image's files (user.c). */
static int parse_user(struct run_options *o, const char *v, char *err, size_t errlen)
{
	const char *colon = strchr(v, ':');

	if (!*v || colon == v || (colon && (!colon[1] || strchr(colon + 1, ':'))))
		return fail(err, errlen, "--user '%s': use USER or USER:GROUP", v);
	free(o->user);
	if (!(o->user = strdup(v)))
		return fail(err, errlen, "--user: out of memory");
	return 0;
}

/* --name: docker's rule, [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most STATE_NAME_MAX. */
static int parse_name(struct run_options *o, const char *v, char *err, size_t errlen)
{
	if (!state_name_ok(v))
		return fail(err, errlen,
			    "--name '%s': use letters, digits, '_', '.' and '-', "
			    "starting with a letter or digit",
			    v);
	free(o->name);
	if (!(o->name = strdup(v)))
		return fail(err, errlen, "--name: out of memory");
	return 0;
}

/* --restart no|on-failure[:N]|always */
static int parse_restart(struct run_options *o, const char *v, char *err, size_t errlen)
{
	char *end;

	o->restart_max = 0;
	o->restart_from_manifest = false;
	if (!strcmp(v, "no"))
		o->restart = OPTIONS_RESTART_NO;
	else if (!strcmp(v, "always"))
		o->restart = OPTIONS_RESTART_ALWAYS;
	else if (!strncmp(v, "on-failure", 10) && (!v[10] || v[10] == ':')) {
		o->restart = OPTIONS_RESTART_ON_FAILURE;
		if (v[10]) {
			errno = 0;
			o->restart_max = strtoul(v + 11, &end, 10);
			if (!v[11] || *end || errno || o->restart_max > 1000000 || v[11] == '-')
				return fail(err, errlen, "--restart %s: N must be a count", v);
		}
	} else
		return fail(err, errlen, "--restart %s: use no, on-failure[:N] or always", v);
	return 0;
}

/* The long name of option `id`. */
static const char *opt_name(enum opt_id id)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (opt_defs[i].id == id)
			return opt_defs[i].lng;
	return "";
}

/* -w DIR: absolute, and as the per-run cwd entry wants it (no NUL, fits). */
static int parse_workdir(struct run_options *o, const char *v, char *err, size_t errlen)
{
	if (v[0] != '/' || strlen(v) >= PATH_MAX)
		return fail(err, errlen, "--workdir '%s': must be an absolute path", v);
	free(o->workdir);
	if (!(o->workdir = strdup(v)))
		return fail(err, errlen, "--workdir: out of memory");
	return 0;
}

/* --hostname NAME: what sethostname(2) would take (1 to 64 bytes), and
 * printable without blanks, as it goes into /etc files and the env. */
static int parse_hostname(struct run_options *o, const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);

	if (!n || n > OPTIONS_HOSTNAME_MAX)
		return fail(err, errlen, "--hostname '%s': 1 to %d characters", v,
			    OPTIONS_HOSTNAME_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f || v[i] == '/')
			return fail(err, errlen,
				    "--hostname '%s': no blanks, control characters or '/'", v);
	free(o->hostname);
	if (!(o->hostname = strdup(v)))
		return fail(err, errlen, "--hostname: out of memory");
	return 0;
}

static int apply(struct run_options *o, enum opt_id id, const char *v, char *err, size_t errlen,
		 char *(*getenv_fn)(const char *))
{
	switch (id) {
	case OPT_API:
	case OPT_API_TOKEN_FILE:
	case OPT_HEALTH:
	case OPT_HEALTH_INTERVAL:
	case OPT_HEALTH_TIMEOUT:
	case OPT_HEALTH_RETRIES:
	case OPT_ETCD:
	case OPT_SERVICE:
	case OPT_ETCD_TTL:
		return agent_option(o, opt_name(id), v, err, errlen);
	case OPT_MEMORY:
		return parse_memory(o, v, err, errlen);
	case OPT_ENV:
		return parse_env(o, v, err, errlen, getenv_fn);
	case OPT_FILE:
		return parse_file(o, v, err, errlen);
	case OPT_DISK:
	case OPT_SEED:
		return parse_disk(o, v, id == OPT_SEED, err, errlen);
	case OPT_VOLUME:
		return parse_volume(o, v, err, errlen);
	case OPT_ROOTFS:
		return parse_rootfs(o, v, err, errlen);
	case OPT_ACCEL:
		if (strcmp(v, "auto") == 0)
			o->accel = OPTIONS_ACCEL_AUTO;
		else if (strcmp(v, "kvm") == 0)
			o->accel = OPTIONS_ACCEL_KVM;
		else if (strcmp(v, "tcg") == 0)
			o->accel = OPTIONS_ACCEL_TCG;
		else
			return fail(err, errlen, "--accel %s: use auto, kvm or tcg", v);
		return 0;
	case OPT_PUBLISH:
		return parse_publish(o, v, err, errlen);
	case OPT_NET:
		return parse_net(o, v, err, errlen);
	case OPT_MAC:
		return parse_mac(o, v, err, errlen);
	case OPT_ULIMIT:
		return parse_ulimit(o, v, err, errlen);
	case OPT_MACHINE:
		if (strcmp(v, "microvm") == 0)
			o->machine = OPTIONS_MACHINE_MICROVM;
		else if (strcmp(v, "q35") == 0)
			o->machine = OPTIONS_MACHINE_Q35;
		else
			return fail(err, errlen, "--machine %s: use microvm or q35", v);
		return 0;
	case OPT_IP:
	case OPT_GATEWAY:
		return parse_ip(o, id, v, err, errlen);
	case OPT_WORKDIR:
		return parse_workdir(o, v, err, errlen);
	case OPT_HOSTNAME:
		return parse_hostname(o, v, err, errlen);
	case OPT_USER:
		return parse_user(o, v, err, errlen);
	case OPT_TRACE:
		o->trace = true;
		return 0;
	case OPT_DETACH:
		o->detach = true;
		return 0;
	case OPT_NAME:
		return parse_name(o, v, err, errlen);
	case OPT_RESTART:
		return parse_restart(o, v, err, errlen);
	case OPT_VERBOSE:
		o->verbose = true;
		return 0;
	case OPT_HELP:
		o->help = true;
		return 0;
	case OPT_MANIFEST:
		free(o->manifest);
		if (!(o->manifest = strdup(v)))
			return fail(err, errlen, "out of memory");
		return 0;
	}
	return -EINVAL;
}

static const struct opt_def *find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (strlen(opt_defs[i].lng) == len && memcmp(opt_defs[i].lng, name, len) == 0)
			return &opt_defs[i];
	return NULL;
}

static const struct opt_def *find_short(char c)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (opt_defs[i].shrt == c)
			return &opt_defs[i];
	return NULL;
}

/* A "--name[=value]" argument at argv[*i]; may consume the next argument. */
static int parse_long(int argc, char **argv, int *i, struct run_options *o, char *err,
		      size_t errlen, char *(*getenv_fn)(const char *))
{
	const char *name = argv[*i] + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct opt_def *d = find_long(name, len);

	if (!d)
		return fail(err, errlen, "unknown option --%.*s", (int)len, name);
	if (!d->has_arg) {
		if (eq)
			return fail(err, errlen, "option --%s takes no value", d->lng);
		return apply(o, d->id, NULL, err, errlen, getenv_fn);
	}
	if (eq)
		return apply(o, d->id, eq + 1, err, errlen, getenv_fn);
	if (*i + 1 >= argc)
		return fail(err, errlen, "option --%s needs a value", d->lng);
	return apply(o, d->id, argv[++*i], err, errlen, getenv_fn);
}

/* A cluster of short options such as "-v", "-vm512M" or "-e K=V". */
static int parse_short(int argc, char **argv, int *i, struct run_options *o, char *err,
		       size_t errlen, char *(*getenv_fn)(const char *))
{
	const char *p = argv[*i] + 1;

	for (; *p; p++) {
		const struct opt_def *d = find_short(*p);
		int rc;

		if (!d)
			return fail(err, errlen, "unknown option -%c", *p);
		if (!d->has_arg) {
			rc = apply(o, d->id, NULL, err, errlen, getenv_fn);
			if (rc < 0)
				return rc;
			continue;
		}
		if (p[1])
			return apply(o, d->id, p + 1, err, errlen, getenv_fn);
		if (*i + 1 >= argc)
			return fail(err, errlen, "option -%c needs a value", *p);
		return apply(o, d->id, argv[++*i], err, errlen, getenv_fn);
	}
	return 0;
}

void options_init(struct run_options *o)
{
	memset(o, 0, sizeof(*o));
	o->memory = OPTIONS_DEFAULT_MEMORY;
}

int options_set(struct run_options *o, const char *name, const char *value, char *err,
		size_t errlen)
{
	const struct opt_def *d = find_long(name, strlen(name));

	err[0] = '\0';
	if (!d || !d->has_arg)
		return fail(err, errlen, "unknown option --%s", name);
	return apply(o, d->id, value, err, errlen, getenv);
}

int options_parse_args(int argc, char **argv, struct run_options *o, char *err, size_t errlen,
		       char *(*getenv_fn)(const char *))
{
	int i, rc = 0;

	err[0] = '\0';
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break; /* PROGRAM: the rest is its own */
		if (a[1] == '-')
			rc = parse_long(argc, argv, &i, o, err, errlen, getenv_fn);
		else
			rc = parse_short(argc, argv, &i, o, err, errlen, getenv_fn);
		if (rc < 0)
			return rc;
	}
	if (o->help)
		return 0;
	if ((rc = check_net(o, err, errlen)) < 0)
		return rc;
	if (i >= argc && !o->manifest)
		return fail(err, errlen, "no PROGRAM given");
	o->argv = argv + i;
	o->argc = argc - i;
	return 0;
}

int options_parse_run(int argc, char **argv, struct run_options *o, char *err, size_t errlen,
		      char *(*getenv_fn)(const char *))
{
	options_init(o);
	return options_parse_args(argc, argv, o, err, errlen, getenv_fn);
}

void options_free(struct run_options *o)
{
	for (size_t i = 0; i < o->nenv; i++)
		free(o->env[i]);
	free(o->env);
	for (size_t i = 0; i < o->nfiles; i++) {
		free(o->files[i].host);
		free(o->files[i].guest);
	}
	free(o->files);
	for (size_t i = 0; i < o->ndisks; i++) {
		free(o->disks[i].path);
		free(o->disks[i].drive);
		free(o->disks[i].device);
		free(o->disks[i].target);
		if (o->disks[i].lock_fd > 0)
			close(o->disks[i].lock_fd);
	}
	free(o->disks);
	for (size_t i = 0; i < o->nshares; i++) {
		free(o->shares[i].path);
		free(o->shares[i].target);
		free(o->shares[i].fsdev);
		free(o->shares[i].device);
	}
	free(o->shares);
	free(o->publish);
	free(o->tap);
	free(o->ip);
	free(o->gateway);
	free(o->rlimits);
	free(o->user);
	free(o->user_ids);
	free(o->user_home);
	free(o->volumes);
	free(o->name);
	free(o->manifest);
	agent_options_free(&o->agent);
	free(o->workdir);
	free(o->hostname);
	memset(o, 0, sizeof(*o));
}
