/*
 * `monos run`: parse the options, check the program, pack the image in a
 * private temporary directory, start QEMU and relay the session, then turn
 * how the instance ended into monos' exit status.  The temporary directory
 * is removed on every path, including death by signal while packing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lib/elf.h>
#include <monos/bootinfo.h>

#include "cli.h"

#define RUN_KERNEL_NAME "monos-kernel"
#define RUN_IMAGE_NAME	"image.cpio"

/* An image of the store being run (store_run.c), or NULL. */
static const struct store_run *run_image;

/* The temporary files, for the exit and signal cleanups ("" when none). */
static char tmp_dir[PATH_MAX], tmp_image[PATH_MAX + sizeof(RUN_IMAGE_NAME) + 1];

/* Async-signal-safe: only unlink and rmdir. */
static void cleanup_tmp(void)
{
	if (tmp_image[0])
		unlink(tmp_image);
	if (tmp_dir[0])
		rmdir(tmp_dir);
	tmp_image[0] = tmp_dir[0] = '\0';
}

static void cleanup_and_die(int sig)
{
	cleanup_tmp();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Create the private temporary directory, cleaned up at exit and on signals. */
static int make_tmp(void)
{
	static const int fatal[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	const char *base = getenv("TMPDIR");
	struct sigaction sa = { .sa_handler = cleanup_and_die };

	if (!base || !*base)
		base = "/tmp";
	if ((size_t)snprintf(tmp_dir, sizeof(tmp_dir), "%s/monos.XXXXXX", base) >=
	    sizeof(tmp_dir)) {
		tmp_dir[0] = '\0';
		msg_error("cannot create a temporary directory in %s: path too long", base);
		return -1;
	}
	if (!mkdtemp(tmp_dir)) {
		msg_error("cannot create a temporary directory in %s: %s", base, strerror(errno));
		tmp_dir[0] = '\0';
		return -1;
	}
	snprintf(tmp_image, sizeof(tmp_image), "%s/%s", tmp_dir, RUN_IMAGE_NAME);
	atexit(cleanup_tmp);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	return 0;
}

/* The kernel: $MONOS_KERNEL, else monos-kernel beside this binary. */
static int find_kernel(char *out, size_t outlen)
{
	const char *env = getenv("MONOS_KERNEL");
	char self[PATH_MAX];
	ssize_t n;
	int len;
	struct stat st;

	if (env && *env) {
		snprintf(out, outlen, "%s", env);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			n = 0;
		self[n] = '\0';
		if (strrchr(self, '/'))
			*strrchr(self, '/') = '\0';
		len = snprintf(out, outlen, "%s/%s", n ? self : ".", RUN_KERNEL_NAME);
		if (len < 0 || (size_t)len >= outlen)
			n = 0, out[0] = '\0';
	}
	if (stat(out, &st) < 0 || !S_ISREG(st.st_mode) || access(out, R_OK) < 0) {
		msg_error("kernel not found: %s (build it with make, or set MONOS_KERNEL)", out);
		return -1;
	}
	return 0;
}

/*
 * Both archives: the program (with its interpreter and libraries when it is
 * dynamic) and --files, then the per-run data.
 */
static int write_archives(struct image_writer *w, const struct run_options *o,
			  const struct program *p, const struct pack *k)
{
	struct rundata ri;
	char *cwd = o->workdir ? strdup(o->workdir) : getcwd(NULL, 0), why[512];
	int rc;

	if (!cwd) {
		msg_error("cannot read the current directory: %s", strerror(errno));
		return -1;
	}
	if (run_image) {
		rc = store_run_write(w, o, run_image, cwd);
		goto out;
	}
	rc = pack_write(w, k);
	if (!rc)
		rc = share_pack_links(w, o);
	for (size_t i = 0; !rc && i < o->nfiles; i++)
		rc = image_add_path(w, o->files[i].host, o->files[i].guest);
	if (!rc)
		rc = locales_pack(w, &k->prog, o->env, o->nenv, o->verbose);
	if (!rc)
		rc = image_finish_archive(w);
	if (!rc) {
		rundata_gather(&ri, o, p->exe, cwd);
		ri.argv = p->argv; /* a script's: the interpreter's argv */
		ri.argc = p->argc;
		for (size_t i = 0; i < k->npath_dirs; i++)
			if (!rundata_path_add(&ri, k->path_dirs[i]))
				msg_error("warning: -e PATH does not list %s, where a script's "
					  "'#!/usr/bin/env' command was found",
					  k->path_dirs[i]);
		rc = rundata_write(w, &ri);
	}
out:
	if (rc < 0)
		msg_error("%s%s", run_image ? "" : "cannot pack the image: ", w->err);
	else if ((rc = agent_write(w, o, why, sizeof(why))) < 0)
		msg_error("%s", why);
	free(cwd);
	return rc < 0 ? -1 : 0;
}

static bool share_skip(const void *ctx, const char *host)
{
	return share_covers(ctx, host);
}

static int check_fits(const struct run_options *o, const char *kernel, const char *image);

int run_job_pack(struct run_job *j, const char *path)
{
	struct image_writer w;
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		msg_error("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	image_open(&w, fd);
	if (j->o->nshares) {
		w.skip = share_skip;
		w.skip_ctx = j->o;
	}
	rc = write_archives(&w, j->o, &j->prog, &j->pk);
	image_close(&w);
	if (close(fd) < 0 && !rc) {
		msg_error("cannot write %s: %s", path, strerror(errno));
		rc = -1;
	}
	return rc < 0 || check_fits(j->o, j->kernel, path) < 0 ? -1 : 0;
}

/* Print what the user needs to see of a finished run; returns the status. */
static int report(const struct channel *c, const struct run_options *o,
		  const struct session_result *res, const char *qerr, size_t qerr_len)
{
	struct channel_outcome out;

	if (res->interrupted) {
		msg_error("interrupted: the instance was killed");
		return CLI_EXIT_INTERRUPTED;
	}
	if (res->kill_signo && !c->have_exit) {
		/* Linux and the guest number these three signals alike. */
		msg_error("%s again: the instance was killed (the program did not end on the "
			  "first signal)",
			  channel_signal_name(res->kill_signo));
		return 128 + res->kill_signo;
	}
	channel_outcome(c, o->memory, o->argv[0], &out);
	if (out.log_lines && !o->verbose)
		channel_print_log(c, STDERR_FILENO,
				  out.log_lines == CHANNEL_LOG_ALL ? 0 : out.log_lines);
	if (out.show_qemu_err && !o->verbose)
		msg_write_full(STDERR_FILENO, qerr, qerr_len);
	if (o->verbose && c->dec.dropped)
		msg_error("%llu stray bytes on the channel were ignored",
			  (unsigned long long)c->dec.dropped);
	if (out.enosys[0])
		msg_error("%s", out.enosys);
	if (out.msg[0])
		msg_error("%s", out.msg);
	return out.code;
}

int run_job_boot(struct run_job *j, struct run_io *io)
{
	const struct run_options *o = j->o;
	struct session_result res;
	struct channel c;
	char *qerr = NULL;
	size_t qerr_len = 0;
	int sock, vsock, errpipe, sigfd, rc;
	pid_t pid;

	sigfd = session_open_signals();
	if (sigfd < 0 || channel_init(&c, STDOUT_FILENO, STDERR_FILENO, o->verbose) < 0) {
		msg_error("cannot set up the session: %s", strerror(sigfd < 0 ? -sigfd : ENOMEM));
		return CLI_EXIT_ERROR;
	}
	rc = qemu_spawn(&j->cfg, &sock, &vsock, &errpipe, &pid);
	if (rc < 0) {
		msg_error("cannot start %s: %s", j->cfg.qemu, strerror(-rc));
		channel_free(&c);
		close(sigfd);
		return CLI_EXIT_ERROR;
	}
	if (io && io->started)
		io->started(io->arg, &c, pid);
	rc = session_run(&c, sock, vsock, errpipe, sigfd, pid, o->verbose, io ? io->hook : NULL,
			 &res, &qerr, &qerr_len);
	if (rc < 0) {
		msg_error("session failed: %s", strerror(-rc));
		rc = CLI_EXIT_ERROR;
	} else {
		rc = report(&c, o, &res, qerr, qerr_len);
	}
	if (io) {
		io->had_exit = c.have_exit;
		io->stop_signo = res.interrupted ? SIGTERM : res.stop_signo;
	}
	free(qerr);
	channel_free(&c);
	close(sock);
	if (vsock >= 0)
		close(vsock);
	close(errpipe);
	close(sigfd);
	return rc;
}

#define IMAGE_SLACK   (64ull << 10) /* QEMU aligns the image's place below the top */
#define BOOT_HEADROOM (1ull << 20)  /* page tables, heap and stacks at boot */

/* Where the kernel ends in physical memory: the highest p_paddr + p_memsz of
 * its PT_LOAD segments (QEMU loads it there; the bss counts).  0 if the file
 * cannot be read as an ELF64. */
static uint64_t kernel_end(const char *kernel)
{
	struct elf64_ehdr eh;
	struct elf64_phdr ph;
	uint64_t end = 0;
	int fd = open(kernel, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &eh, sizeof(eh), 0) == sizeof(eh) && eh.e_phentsize == sizeof(ph)) {
		for (unsigned i = 0; i < eh.e_phnum; i++) {
			if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) != sizeof(ph))
				break;
			if (ph.p_type == PT_LOAD && ph.p_paddr + ph.p_memsz > end)
				end = ph.p_paddr + ph.p_memsz;
		}
	}
	close(fd);
	return end;
}

/*
 * The image goes at the top of the instance's memory and the kernel at its
 * bottom: when they would meet, QEMU loads the image over the kernel (it
 * checks only the image against the memory) and the instance hangs.  Say so
 * instead, with the smallest --memory that boots.
 */
static int check_fits(const struct run_options *o, const char *kernel, const char *image)
{
	struct stat st;
	uint64_t end = kernel_end(kernel), need;
	char have[32], want[32];

	if (!end || stat(image, &st) < 0)
		return 0; /* QEMU will say what is wrong */
	if (o->memory >= end + (uint64_t)st.st_size + IMAGE_SLACK)
		return 0; /* no overlap; a boot short of memory says so itself */
	need = end + (uint64_t)st.st_size + BOOT_HEADROOM;
	need = (need + (1ull << 20) - 1) & ~((1ull << 20) - 1);
	msg_format_size(have, sizeof(have), o->memory);
	msg_format_size(want, sizeof(want), need);
	msg_error("--memory %s is too small for this image (%llu bytes): it needs at least %s",
		  have, (unsigned long long)st.st_size, want);
	return -1;
}

/* The kernel, QEMU and the accelerator for `j`: 0, or -1 (said). */
static int find_machine(struct run_job *j)
{
	const struct run_options *o = j->o;
	char why[256];

	j->cfg = (struct qemu_config){ .qemu = j->qemu,
				       .kernel = j->kernel,
				       .memory = o->memory,
				       .trace = o->trace,
				       .net = o->net,
				       .publish = o->publish,
				       .machine = o->machine,
				       .tap = o->tap,
				       .ip = o->ip,
				       .gateway = o->gateway,
				       .verbose = o->verbose,
				       .disks = o->disks,
				       .ndisks = o->ndisks,
				       .shares = o->shares,
				       .nshares = o->nshares };
	if (find_kernel(j->kernel, sizeof(j->kernel)) < 0)
		return -1;
	if (qemu_find(j->qemu, sizeof(j->qemu)) < 0) {
		msg_error("QEMU not found (install qemu-system-x86)");
		return -1;
	}
	if (qemu_pick_accel(o->accel, "", &j->cfg.kvm, why, sizeof(why)) < 0) {
		msg_error("--accel kvm: %s", why);
		return -1;
	}
	if (o->verbose)
		msg_error("accelerator %s (%s)", j->cfg.kvm ? "kvm" : "tcg", why);
	return 0;
}

/* -u: the ids and home the program gets (user.c); 0 or -1 with the reason
 * printed. */
static int resolve_user(struct run_options *o)
{
	struct run_user u;
	char err[512];

	if (!o->user)
		return 0;
	if (user_resolve(o, &u, err, sizeof(err))) {
		msg_error("%s", err);
		return -1;
	}
	o->user_ids = user_ids_text(&u);
	o->user_home = strdup(u.home);
	if (!o->user_ids || !o->user_home) {
		msg_error("out of memory");
		return -1;
	}
	return 0;
}

int run_job_prepare(struct run_job *j, struct run_options *o)
{
	char err[512];
	int rc;

	memset(j, 0, sizeof(*j));
	j->o = o;
	if (resolve_user(o))
		rc = CLI_EXIT_ERROR; /* it said why */
	else if ((rc = agent_prepare(o, err, sizeof(err), getenv) ? CLI_EXIT_ERROR : 0))
		msg_error("%s", err);
	else if ((rc = disk_prepare(o, o->machine, err, sizeof(err)) ? CLI_EXIT_ERROR : 0))
		msg_error("%s", err);
	else if ((rc = share_prepare(o, o->machine, err, sizeof(err)) ? CLI_EXIT_ERROR : 0))
		msg_error("%s", err);
	else if (run_image)
		rc = 0;		/* packed already */
	else if (o->rootfs_exe) /* the OCI runtime's: found in the rootfs, nothing to pack */
		rc = program_in_rootfs(o->rootfs_exe, o->argv, o->argc, &j->prog);
	else if ((rc = program_check(o->argv, o->argc, &j->prog, err, sizeof(err))))
		msg_error("%s", err);
	else if ((rc = pack_program(&j->pk, &j->prog, o->argv[0], o->verbose)))
		msg_error("%s", j->pk.err);
	for (size_t i = 0; !rc && !run_image && i < o->nfiles; i++)
		if ((rc = pack_scan(&j->pk, o->files[i].host)))
			msg_error("%s", j->pk.err);
	if (!rc && !run_image && (rc = pack_finish(&j->pk)))
		msg_error("%s", j->pk.err);
	if (!rc && find_machine(j) < 0)
		rc = CLI_EXIT_ERROR;
	return rc;
}

void run_job_free(struct run_job *j)
{
	pack_free(&j->pk);
	program_free(&j->prog);
}

/* The foreground run: pack into a private temporary directory and boot. */
static int run_foreground(struct run_job *j)
{
	if (make_tmp() < 0 || run_job_pack(j, tmp_image) < 0)
		return CLI_EXIT_ERROR;
	j->cfg.initrd = tmp_image;
	return run_job_boot(j, NULL);
}

/* `monos run` and, with `create`, `monos create` (run -d, gated). */
static int run_or_create(int argc, char **argv, bool create)
{
	struct run_options o;
	struct run_job j;
	struct store_run sr = { 0 };
	char err[1024];
	int rc;

	signal(SIGPIPE, SIG_IGN); /* EPIPE on stdout is handled, not fatal */
	if (options_parse_run(argc, argv, &o, err, sizeof(err), getenv) < 0) {
		msg_error("%s (see 'monos run --help')", err);
		options_free(&o);
		return CLI_EXIT_ERROR;
	}
	if (o.help) {
		fputs(options_run_help, stdout);
		options_free(&o);
		return 0;
	}
	if ((rc = store_run_layer(argc, argv, &o, &sr, err, sizeof(err))) < 0) {
		msg_error("%s", err);
		rc = CLI_EXIT_ERROR;
		goto out;
	}
	run_image = sr.image ? &sr : NULL;
	o.detach |= create;
	if (!o.detach && o.restart_from_manifest)
		o.restart = OPTIONS_RESTART_NO; /* in the foreground the user is the supervisor */
	if (!o.detach && (o.name || o.restart != OPTIONS_RESTART_NO)) {
		msg_error("%s needs -d (a detached instance) (see 'monos run --help')",
			  o.name ? "--name" : "--restart");
		rc = CLI_EXIT_ERROR;
	} else if (o.detach) {
		rc = monitor_detach(&o, create);
	} else {
		rc = run_job_prepare(&j, &o);
		if (!rc)
			rc = run_foreground(&j);
		cleanup_tmp();
		run_job_free(&j);
	}
out:
	store_run_free(&sr);
	options_free(&o);
	return rc;
}

/*
 * `monos run ARGS`: argv[0] is the first argument after "run".  Returns the
 * exit status for main(); every failure has printed one "monos: " line.
 */
int run_main(int argc, char **argv)
{
	return run_or_create(argc, argv, false);
}

int run_create_main(int argc, char **argv)
{
	return run_or_create(argc, argv, true);
}
