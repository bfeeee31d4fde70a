/*
 * The QEMU backend of `monos run`: finds the QEMU binary, chooses the
 * accelerator, writes QEMU's command line and starts it wired to the CLI.
 *
 * The machine is a microvm booting the monos kernel through its PVH entry
 * (design.md, decision 1): no ACPI, so virtio-mmio devices travel on the
 * kernel command line; non-legacy virtio-mmio; the UART (COM1) on QEMU's
 * stdio, which is one end of a socketpair the CLI holds the other end of;
 * isa-debug-exit for the kernel to stop QEMU.
 *
 * The channel's fast wire (include/monos/channel.h): a virtio-serial device
 * with one virtserialport at nr=1 on a socket chardev whose fd (QEMU_VCON_FD)
 * is the other end of a second socketpair.  Not a virtconsole: QEMU drops
 * what a console port sends when the host's socket is full, and waits for
 * the host on a serial port.  $MONOS_VIRTIO_CONSOLE=0 leaves it out (the
 * UART alone carries the channel, as on a host without it).
 *
 * --machine q35 gives the PC that clouds and libvirt use instead: the same
 * PVH entry (through the firmware's option ROM, so a slower start), the same
 * UART and exit port on its ISA bridge, devices on PCI.
 *
 * Each --disk is a -drive (if=none, its format given: QEMU never probes
 * one, see disk.c) and a virtio-blk device on it, -device
 * virtio-blk-device on microvm, modern-only virtio-blk-pci on q35, added in
 * the order given so that the guest names them vda, vdb, ...
 *
 * With --net user or tap:NAME, a virtio-net device on QEMU's user-mode
 * networking or on the host's tap device: virtio-mmio on microvm (QEMU then
 * adds its virtio_mmio.device= entry to the kernel command line itself),
 * modern-only virtio-pci on q35.  --ip and --gateway become the kernel
 * options monos.ip= and monos.gateway=.
 *
 * Developer knobs: $MONOS_QEMU_ARGS holds extra QEMU arguments, split on
 * spaces (no quoting) and appended after monos' own, so they can add to or
 * override them; the benchmarks (bench/) use it for `-icount shift=0,sleep=on`.
 * $MONOS_KERNEL_ARGS holds extra kernel options (bootinfo.h), appended to
 * the kernel command line, e.g. monos.nettest=1 for the network self-test.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <limits.h>
#include <unistd.h>

#include "cli.h"

#define QEMU_DEFAULT_BINARY  "qemu-system-x86_64"
#define QEMU_DEBUG_EXIT_PORT "0xf4" /* isa-debug-exit: the kernel's stop port */
#define QEMU_DEBUG_EXIT_SIZE "4"
#define QEMU_MAX_ARGS	     224 /* monos' own arguments (4 per disk or share) plus the extra ones */
#define QEMU_EXTRA_ARGS_MAX  1024 /* bytes of $MONOS_QEMU_ARGS */
#define QEMU_BUILT_ARGS_MAX  1024 /* bytes of the -m and -append values */
#define QEMU_NETDEV_USER     "user,id=net0"
#define QEMU_NETDEV_TAP	     "tap,id=net0,script=no,downscript=no,ifname="
#define QEMU_NET_MMIO	     "virtio-net-device,netdev=net0"
#define QEMU_NET_PCI	     "virtio-net-pci,netdev=net0,disable-legacy=on"
#define QEMU_STR_(x)	     #x
#define QEMU_STR(x)	     QEMU_STR_(x)
#define QEMU_VCON_CHARDEV    "socket,id=vcon,fd=" QEMU_STR(QEMU_VCON_FD)
#define QEMU_VCON_MMIO	     "virtio-serial-device,max_ports=2"
#define QEMU_VCON_PCI	     "virtio-serial-pci,max_ports=2,disable-legacy=on"
#define QEMU_VCON_PORT	     "virtserialport,chardev=vcon,nr=1"

extern char **environ;

/* Look `name` up on PATH as execvp would; 0 with the path in `out`, or -ENOENT. */
static int search_path(const char *name, char *out, size_t outlen)
{
	const char *path = getenv("PATH");

	if (strchr(name, '/')) {
		snprintf(out, outlen, "%s", name);
		return access(out, X_OK) == 0 ? 0 : -ENOENT;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(out, outlen, "%.*s%s%s", (int)n, path, n ? "/" : "", name);
		if (access(out, X_OK) == 0)
			return 0;
		path += n + (path[n] == ':');
	}
	return -ENOENT;
}

/* The QEMU binary: $MONOS_QEMU, or qemu-system-x86_64 on PATH; -ENOENT. */
int qemu_find(char *out, size_t outlen)
{
	const char *q = getenv("MONOS_QEMU");

	return search_path(q && *q ? q : QEMU_DEFAULT_BINARY, out, outlen);
}

static bool exists(const char *root, const char *path)
{
	char p[4096];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", root, path);
	return stat(p, &st) == 0;
}

/*
 * Choose KVM or TCG for `pref`.  `root` prefixes /dev and /sys paths ("" in
 * real use; tests pass a fake tree).  Auto takes KVM only when /dev/kvm opens
 * read-write and a hardware module (kvm_intel, kvm_amd) is loaded: kvm_pvm
 * (facts.md) emulates every instruction and is far slower than TCG.  `why`
 * receives the reason.  Returns 0, or -errno when KVM was forced but
 * /dev/kvm cannot be opened.
 */
int qemu_pick_accel(enum options_accel pref, const char *root, bool *kvm, char *why, size_t whylen)
{
	char dev[4096];
	int fd, err = 0;

	*kvm = false;
	if (pref == OPTIONS_ACCEL_TCG) {
		snprintf(why, whylen, "forced by --accel tcg");
		return 0;
	}
	snprintf(dev, sizeof(dev), "%s/dev/kvm", root);
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		err = errno;
	else
		close(fd);
	if (pref == OPTIONS_ACCEL_KVM) {
		snprintf(why, whylen, err ? "cannot open /dev/kvm: %s" : "forced by --accel kvm",
			 strerror(err));
		*kvm = !err;
		return err ? -err : 0;
	}
	if (err)
		snprintf(why, whylen, "/dev/kvm: %s", strerror(err));
	else if (exists(root, "/sys/module/kvm_intel") || exists(root, "/sys/module/kvm_amd"))
		*kvm = true;
	if (*kvm)
		snprintf(why, whylen, "hardware %s",
			 exists(root, "/sys/module/kvm_intel") ? "kvm_intel" : "kvm_amd");
	else if (!err && exists(root, "/sys/module/kvm_pvm"))
		snprintf(why, whylen, "kvm is kvm_pvm emulation, not hardware");
	else if (!err)
		snprintf(why, whylen, "no hardware kvm module (kvm_intel, kvm_amd) loaded");
	return 0;
}

/*
 * Fill `argv` (room for `max` pointers, NULL-terminated) with QEMU's command
 * line for `cfg`; strings that must be built go into `buf`.  Returns the
 * number of arguments, or -E2BIG.
 */
int qemu_build_argv(const struct qemu_config *cfg, char **argv, size_t max, char *buf,
		    size_t buflen)
{
	char mem[32], *append, *netdev, *nic = NULL;
	size_t n = 0, used;
	bool q35 = cfg->machine == OPTIONS_MACHINE_Q35;
	const char *fixed[] = {
		"-nodefaults",
		"-no-user-config",
		"-display",
		"none",
		"-no-reboot",
		"-device",
		"isa-debug-exit,iobase=" QEMU_DEBUG_EXIT_PORT ",iosize=" QEMU_DEBUG_EXIT_SIZE,
		"-chardev",
		"stdio,id=con,signal=off",
		"-serial",
		"chardev:con",
	};

	msg_format_size(mem, sizeof(mem), cfg->memory);
	used = snprintf(buf, buflen, "%s", mem) + 1;
	append = buf + used;
	if (used >= buflen)
		return -E2BIG;
	used += snprintf(append, buflen - used, "monos.channel=1%s%s%s%s%s%s%s%s",
			 cfg->trace ? " monos.trace=1" : "", cfg->verbose ? " monos.verbose=1" : "",
			 cfg->ip ? " monos.ip=" : "", cfg->ip ? cfg->ip : "",
			 cfg->gateway ? " monos.gateway=" : "", cfg->gateway ? cfg->gateway : "",
			 cfg->kernel_args && *cfg->kernel_args ? " " : "",
			 cfg->kernel_args ? cfg->kernel_args : "") +
		1;
	if (used >= buflen)
		return -E2BIG;
	netdev = buf + used;
	if (cfg->net == OPTIONS_NET_USER || cfg->net == OPTIONS_NET_TAP) {
		bool tap = cfg->net == OPTIONS_NET_TAP;

		/* user,id=net0,hostfwd=... or tap,...,ifname=NAME */
		used += snprintf(netdev, buflen - used, "%s%s",
				 tap ? QEMU_NETDEV_TAP : QEMU_NETDEV_USER,
				 tap		? cfg->tap
				 : cfg->publish ? cfg->publish
						: "") +
			1;
		if (used > buflen)
			return -E2BIG;
		nic = buf + used; /* virtio-net-...,netdev=net0[,mac=...] */
		used += snprintf(nic, buflen - used, "%s%s%s", q35 ? QEMU_NET_PCI : QEMU_NET_MMIO,
				 cfg->mac ? ",mac=" : "", cfg->mac ? cfg->mac : "") +
			1;
		if (used > buflen)
			return -E2BIG;
	}
	if (max < sizeof(fixed) / sizeof(fixed[0]) + 30 + 4 * (cfg->ndisks + cfg->nshares))
		return -E2BIG;
	argv[n++] = (char *)cfg->qemu;
	argv[n++] = "-M";
	if (q35) {
		argv[n++] = "q35";
	} else {
		argv[n++] = "microvm,acpi=off,pit=on,rtc=on";
		argv[n++] = "-global";
		argv[n++] = "virtio-mmio.force-legacy=false";
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		argv[n++] = (char *)fixed[i];
	argv[n++] = "-m";
	argv[n++] = buf;
	argv[n++] = "-cpu";
	argv[n++] = cfg->kvm ? "host" : "max";
	argv[n++] = "-accel";
	argv[n++] = cfg->kvm ? "kvm" : "tcg";
	argv[n++] = "-kernel";
	argv[n++] = (char *)cfg->kernel;
	argv[n++] = "-initrd";
	argv[n++] = (char *)cfg->initrd;
	argv[n++] = "-append";
	argv[n++] = append;
	if (cfg->net == OPTIONS_NET_USER || cfg->net == OPTIONS_NET_TAP) {
		argv[n++] = "-netdev";
		argv[n++] = netdev;
		argv[n++] = "-device";
		argv[n++] = nic;
	}
	for (size_t i = 0; i < cfg->ndisks; i++) {
		argv[n++] = "-drive";
		argv[n++] = cfg->disks[i].drive;
		argv[n++] = "-device";
		argv[n++] = cfg->disks[i].device;
	}
	for (size_t i = 0; i < cfg->nshares; i++) { /* 9p shares: share.c */
		argv[n++] = "-fsdev";
		argv[n++] = cfg->shares[i].fsdev;
		argv[n++] = "-device";
		argv[n++] = cfg->shares[i].device;
	}
	if (cfg->vcon) {
		argv[n++] = "-chardev";
		argv[n++] = QEMU_VCON_CHARDEV;
		argv[n++] = "-device";
		argv[n++] = q35 ? QEMU_VCON_PCI : QEMU_VCON_MMIO;
		argv[n++] = "-device";
		argv[n++] = QEMU_VCON_PORT;
	}
	argv[n] = NULL;
	return (int)n;
}

/* Raise the soft open-file limit to the hard one: QEMU never does (facts.md). */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#define QEMU_FD_DIR_MAX 64 /* "/proc/PID/fd/N" */

/* Widen one of QEMU's sockets if it is a listening TCP socket. */
static void widen_if_listening(int pidfd, int target)
{
	int fd = (int)syscall(SYS_pidfd_getfd, pidfd, target, 0), on = 0, type = 0;
	socklen_t len = sizeof(on);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on &&
	    (len = sizeof(type), getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len)) == 0 &&
	    type == SOCK_STREAM)
		listen(fd, SOMAXCONN); /* a second listen() only resizes the queue */
	close(fd);
}

/*
 * qemu_widen_listen_queues - give every listening socket of QEMU (the
 * host ends of -p's hostfwd) the system's full accept queue.
 *
 * Why: libslirp listens on a forwarded port with a backlog of 1 and accepts
 * one connection per turn of QEMU's main loop.  A client that opens many
 * connections at once (wrk -c64) overflows that queue; the host kernel then
 * drops the handshake's last ACK, and the connection only completes after
 * its SYN-ACK is retransmitted 1, 3, 7... seconds later: requests time out
 * although the guest never saw them.  listen() on a socket that already
 * listens changes only its backlog, so the CLI takes a copy of QEMU's
 * descriptor (pidfd_getfd, Linux 5.6, the ptrace permission a parent has
 * over its child) and calls it again.  Best effort: on an older kernel or
 * a host that forbids it, forwarding works as before.  Call once QEMU has
 * set up its network (the guest's READY frame is proof).
 */
void qemu_widen_listen_queues(pid_t pid)
{
	char dir[QEMU_FD_DIR_MAX], path[QEMU_FD_DIR_MAX + NAME_MAX + 2], link[64];
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct dirent *e;
	DIR *d;

	if (pidfd < 0)
		return;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	if ((d = opendir(dir))) {
		while ((e = readdir(d))) {
			ssize_t n;

			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n > 0 && (link[n] = 0, !strncmp(link, "socket:", 7)))
				widen_if_listening(pidfd, atoi(e->d_name));
		}
		closedir(d);
	}
	close(pidfd);
}

/* With -v: the QEMU command line, one line (no argument needs quoting). */
static void print_command(char **argv)
{
	char line[2048];
	size_t n = 0;

	for (int i = 0; argv[i] && n < sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - n, "%s%s", i ? " " : "", argv[i]);
	msg_error("%s", line);
}

/*
 * In the child, before exec: nothing blocked, every signal at its default,
 * its own process group (the terminal's Ctrl-C reaches monos, which forwards
 * it, not QEMU), and death with its parent: if monos is killed, even by
 * SIGKILL, QEMU must not run on unattended.
 */
static void child_setup(pid_t parent, int sock, int vsock, int err)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(125);
	if (dup2(sock, STDIN_FILENO) < 0 || dup2(sock, STDOUT_FILENO) < 0 ||
	    dup2(err, STDERR_FILENO) < 0)
		_exit(125);
	/* dup2 onto itself would keep FD_CLOEXEC. */
	if (vsock >= 0 &&
	    (vsock == QEMU_VCON_FD ? fcntl(vsock, F_SETFD, 0) : dup2(vsock, QEMU_VCON_FD)) < 0)
		_exit(125);
}

/*
 * Append the space-separated words of $MONOS_QEMU_ARGS to `argv` (argc `n`,
 * room for `max` pointers) and NULL-terminate it; the words are cut in place
 * in `buf`.  Returns the new argc, or -E2BIG when the variable does not fit.
 */
static int append_extra_args(char **argv, int n, size_t max, char *buf, size_t buflen)
{
	const char *env = getenv("MONOS_QEMU_ARGS");
	char *p;

	if (!env || !*env)
		return n;
	if ((size_t)snprintf(buf, buflen, "%s", env) >= buflen)
		return -E2BIG;
	for (p = strtok(buf, " "); p; p = strtok(NULL, " ")) {
		if ((size_t)n + 1 >= max)
			return -E2BIG;
		argv[n++] = p;
	}
	argv[n] = NULL;
	return n;
}

/*
 * Start QEMU for `cfg`: its stdin and stdout are one end of a socketpair
 * (the UART), its fd QEMU_VCON_FD one end of another (the virtio console),
 * its stderr a pipe.  On success *sock and *vsock (non-blocking; *vsock -1
 * without the device) and *errpipe are the CLI's ends and *pid the child.
 * Returns 0 or -errno.
 */
int qemu_spawn(const struct qemu_config *cfg, int *sock, int *vsock, int *errpipe, pid_t *pid)
{
	char *argv[QEMU_MAX_ARGS], buf[QEMU_BUILT_ARGS_MAX], extra[QEMU_EXTRA_ARGS_MAX];
	struct qemu_config with_env = *cfg;
	const char *vcon_env = getenv("MONOS_VIRTIO_CONSOLE");
	int sv[2], vs[2] = { -1, -1 }, ep[2], rc, n;

	if (!with_env.kernel_args)
		with_env.kernel_args = getenv("MONOS_KERNEL_ARGS");
	with_env.vcon = !vcon_env || strcmp(vcon_env, "0") != 0;
	n = qemu_build_argv(&with_env, argv, QEMU_MAX_ARGS, buf, sizeof(buf));
	if (n < 0 || append_extra_args(argv, n, QEMU_MAX_ARGS, extra, sizeof(extra)) < 0)
		return -E2BIG;
	if (cfg->verbose)
		print_command(argv);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (with_env.vcon && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, vs) < 0) {
		rc = -errno;
		goto out_close_sock;
	}
	if (pipe2(ep, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out_close_vsock;
	}
	raise_nofile();
	pid_t parent = getpid();
	*pid = fork();
	if (*pid < 0) {
		rc = -errno;
		goto out_close_pipe;
	}
	if (*pid == 0) {
		child_setup(parent, sv[1], vs[1], ep[1]);
		execv(cfg->qemu, argv);
		dprintf(STDERR_FILENO, "monos: cannot start %s: %s\n", cfg->qemu, strerror(errno));
		_exit(125);
	}
	close(sv[1]);
	close(ep[1]);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	if (vs[0] >= 0) {
		close(vs[1]);
		fcntl(vs[0], F_SETFL, fcntl(vs[0], F_GETFL) | O_NONBLOCK);
	}
	*sock = sv[0];
	*vsock = vs[0];
	*errpipe = ep[0];
	return 0;

out_close_pipe:
	close(ep[0]);
	close(ep[1]);
out_close_vsock:
	if (vs[0] >= 0) {
		close(vs[0]);
		close(vs[1]);
	}
out_close_sock:
	close(sv[0]);
	close(sv[1]);
	return rc;
}
