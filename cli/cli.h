/*
 * The `monos` command: declarations shared by its files, one section per
 * file (the index of the CLI, as xv6's defs.h is of its kernel).
 *
 * Layers, bottom up: msg (one-line diagnostics), options (the command line),
 * image_names and image (the archive's namespace, the cpio packer), deps_elf
 * and deps (a dynamic program's interpreter and libraries, its modules'),
 * locales (glibc locale data), channel (the host end of the UART framing),
 * qemu (finding, configuring and starting QEMU), session (the poll loop), run
 * (the `monos run` command that ties them together), state (instances'
 * directories and records), monitor, monitor_ctl and monitor_client (the
 * per-instance monitor of detached runs, its control socket and the client
 * end), cmd_* (the instance commands), main (dispatch).
 *
 * Exit statuses follow docker run: 125 for an error of monos itself, 126 when
 * the program cannot be run, 127 when it is not found, else the program's.
 */
#ifndef MONOS_CLI_H
#define MONOS_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <monos/channel.h>

#define CLI_EXIT_ERROR	     125 /* monos itself failed: bad flag, no QEMU, panic */
#define CLI_EXIT_CANNOT_RUN  126 /* the program exists but cannot be run */
#define CLI_EXIT_NOT_FOUND   127 /* the program does not exist */
#define CLI_EXIT_OOM	     137 /* as Linux: 128 + SIGKILL after the OOM killer */
#define CLI_EXIT_INTERRUPTED 130 /* 128 + SIGINT: the user gave up on the guest */

/* msg.c */

/* Print "monos: <message>\n" on stderr as one write.  Any caller. */
void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Put a one-line reason in `err` (`errlen` bytes) and return -EINVAL: the
 * parsers' way to fail. */
int msg_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Write all `len` bytes to `fd`, retrying on EINTR and partial writes.
 * Returns 0, or -errno (-EPIPE when the reader has gone). */
int msg_write_full(int fd, const void *buf, size_t len);

/* Format `bytes` with the largest binary unit that divides it ("256M"). */
void msg_format_size(char *out, size_t outlen, uint64_t bytes);

/* options.c */

enum options_accel { OPTIONS_ACCEL_AUTO, OPTIONS_ACCEL_KVM, OPTIONS_ACCEL_TCG };
/* --net: no network device (default), virtio-net on QEMU's user networking,
 * or virtio-net on a host tap device. */
enum options_net { OPTIONS_NET_NONE, OPTIONS_NET_USER, OPTIONS_NET_TAP };
/* --machine: QEMU's microvm (default; virtio-mmio) or q35 (PCI, virtio-pci). */
enum options_machine { OPTIONS_MACHINE_MICROVM, OPTIONS_MACHINE_Q35 };

/* One --file: the host path and where it appears in the guest (absolute). */
struct options_file {
	char *host;
	char *guest; /* NULL: the host path made absolute */
};

/* One --disk, --seed or --volume: a host disk file attached as a virtio-blk
 * device. */
struct options_disk {
	char *path;
	bool ro;	  /* FILE:ro (and every --seed): attached read-only */
	const char *flag; /* "--disk", "--seed" or "--volume", for messages */
	char *drive;	  /* QEMU's -drive value, made by disk_prepare (disk.c) */
	char *device;	  /* QEMU's -device value, made by disk_prepare */
	char *target;	  /* --volume: where the kernel mounts it (ext4); NULL: none */
	int lock_fd;	  /* the flock held for the run (disk_prepare); 0: none */
};

/* --restart: what the monitor does when the program ends (monitor.c). */
enum options_restart { OPTIONS_RESTART_NO, OPTIONS_RESTART_ON_FAILURE, OPTIONS_RESTART_ALWAYS };

#define OPTIONS_MAX_DISKS 16 /* vda..vdp, the kernel's BLK_MAX_DEVICES */

/* One -v HOSTDIR:DIR[:ro]: a host directory shared through virtio-9p, or
 * --rootfs DIR's (target NULL: the guest's root itself). */
struct options_share {
	char *path;   /* the host directory, absolute and resolved */
	char *target; /* where the kernel mounts it; NULL: --rootfs */
	bool ro;      /* :ro (--rootfs's default): QEMU refuses writes, EROFS */
	char *fsdev;  /* QEMU's -fsdev value, made by share_prepare (share.c) */
	char *device; /* QEMU's -device value, made by share_prepare */
};

#define OPTIONS_MAX_SHARES 16

/* The management flags (cli/agent.c); NULL: not given. */
struct agent_options {
	char *api;			    /* --api [IP:]PORT */
	char *token_file;		    /* --api-token-file FILE */
	char *health;			    /* --health tcp:PORT | http://:PORT/PATH */
	char *interval, *timeout, *retries; /* --health-interval/-timeout/-retries */
	char *token;			    /* the token read by agent_prepare */
	char *etcd, *service, *etcd_ttl;    /* --etcd URL, --service NAME, --etcd-ttl S */
	char *instance;			    /* not a flag: the instance's id (-d), the key's ID */
	const char *image;		    /* not a flag: the store image's digest, or NULL */
};

struct run_options {
	uint64_t memory; /* bytes */
	char **env;	 /* "K=V" strings, in command-line order */
	size_t nenv;
	struct options_file *files;
	size_t nfiles;
	struct options_disk *disks; /* --disk and --seed, in order: vda, vdb, ... */
	size_t ndisks;
	struct options_share *shares; /* -v of directories, then --rootfs's */
	size_t nshares;
	bool rootfs; /* --rootfs: the last share serves the guest's tree */
	enum options_accel accel;
	enum options_net net;
	enum options_machine machine;
	bool net_given;	 /* --net was on the command line (else -p picks user) */
	char *tap;	 /* --net tap:NAME: NAME */
	char *publish;	 /* -p: ",hostfwd=..." for QEMU's -netdev user, or NULL */
	char *ip;	 /* --ip: "ADDR/PREFIX" or "dhcp", checked; NULL: the default */
	char *gateway;	 /* --gateway: an IPv4 address, checked; NULL: the default */
	char mac[18];	 /* --mac: "XX:XX:XX:XX:XX:XX", checked; "": QEMU's default */
	char *user;	 /* -u: "USER[:GROUP]" as given; NULL: root */
	char *user_ids;	 /* -u resolved by run_main (user.c): "UID:GID[:G,...]" */
	char *user_home; /* -u resolved: the HOME it gets */
	char *volumes;	 /* the per-run "volumes" entry (bootinfo.h), made by
			  * disk_prepare; NULL: no --volume */

	/* --api, --health...: the in-guest agent (agent.c) */
	struct agent_options agent;

	char *workdir;		/* -w: the program's guest cwd; NULL: monos' own cwd */
	const char *rootfs_exe; /* not a flag: the OCI runtime's PROGRAM, a guest path
				 * in --rootfs (program_in_rootfs); not freed here */
	/* not flags: under the OCI runtime (rootfs_by_config) the guest has
	 * its own tmpfs at /tmp and /run only where config.json mounts one
	 * (runc's way), else the rootfs's are seen; `monos run --rootfs`
	 * always has its own (share.c) */
	bool rootfs_by_config, rootfs_tmp, rootfs_run;
	bool keep_stdio; /* not a flag: the OCI runtime's monitor keeps the stdin,
			  * stdout and stderr it is given (the manager's pipes or
			  * the console) instead of its log file */
	char *hostname;		/* --hostname, checked; NULL: "monos" */
	char *rlimits;		/* --ulimit: the per-run rlimits entry's lines; NULL: none */
	bool trace;
	bool verbose;
	bool detach;		      /* -d: run under a monitor in the background */
	char *name;		      /* --name, checked (state_name_ok), or NULL */
	enum options_restart restart; /* --restart */
	unsigned long restart_max;    /* on-failure:N: N (0: no limit) */
	bool restart_from_manifest;   /* the policy is the manifest's, not a flag's */
	bool help;		      /* --help was given: print run help, run nothing */
	char **argv; /* PROGRAM and its arguments (points into the caller's argv) */
	int argc;
	char *manifest; /* -f FILE: the manifest (manifest.c), or NULL */
	bool disk_boot; /* not a flag: `monos export` packs for a later boot from
			 * a disk, without the CLI (rundata_gather) */
};

#define OPTIONS_HOSTNAME_MAX   64 /* Linux's __NEW_UTS_LEN */
#define OPTIONS_DEFAULT_MEMORY (256ull << 20)
#define OPTIONS_MIN_MEMORY     (2ull << 20)
#define OPTIONS_MAX_MEMORY     (1ull << 40)

/*
 * options_parse_run - parse the arguments after "run" (argv[0] is the first
 * of them) into `o`, stopping at PROGRAM or after "--".  Returns 0 (with
 * o->help set, PROGRAM may be missing), or -EINVAL with a one-line reason in
 * `err` (no "monos: " prefix) for an unknown flag, a missing or bad value or
 * no PROGRAM.  `getenv_fn` resolves `-e NAME` (getenv, or a test's own).
 * The caller MUST call options_free() afterwards, on success or failure.
 */
int options_parse_run(int argc, char **argv, struct run_options *o, char *err, size_t errlen,
		      char *(*getenv_fn)(const char *));
/* options_init - `o` empty, with the defaults (what parsing starts from). */
void options_init(struct run_options *o);
/*
 * options_parse_args - options_parse_run() onto an `o` that already holds
 * values (a manifest's, applied with options_set): scalars given here
 * replace them, lists grow.  PROGRAM may be missing when -f was given.
 */
int options_parse_args(int argc, char **argv, struct run_options *o, char *err, size_t errlen,
		       char *(*getenv_fn)(const char *));
/*
 * options_set - apply the option --`name` (its long name, one that takes a
 * value) with `value`, as the command line would: 0, or -EINVAL with the
 * reason in `err`.  The manifest (manifest.c) sets its keys through it, so
 * a key and its flag are checked by the same code.
 */
int options_set(struct run_options *o, const char *name, const char *value, char *err,
		size_t errlen);
/* options_free - release what options_parse_run() allocated in `o`. */
void options_free(struct run_options *o);

/* The text of `monos run --help`. */
extern const char options_run_help[];

/* state.c */

#define STATE_ID_LEN	 16 /* hex digits of an instance id (64 random bits) */
#define STATE_SHORT_ID	 12 /* as ps shows it (docker's) */
#define STATE_NAME_MAX	 64 /* bytes of a --name */
#define STATE_NAME_FIRST "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define STATE_PATH_MAX	 4096  /* Linux's PATH_MAX */
#define STATE_MAX_KEYS	 32    /* keys of a record */
#define STATE_RECORD_MAX 16384 /* bytes of a record */

/* An instance's record as read (state.c's header), with its liveness. */
struct state_record {
	char buf[STATE_RECORD_MAX]; /* the file, '=' and '\n' made NULs */
	uint16_t key_off[STATE_MAX_KEYS], val_off[STATE_MAX_KEYS];
	size_t n;
	char dir[STATE_PATH_MAX]; /* the instance's directory */
	bool live;		  /* its monitor holds the lock */
};

/* state_name_ok - whether `name` is a valid instance name (docker's rule). */
bool state_name_ok(const char *name);
/* state_base - the directory of all instances (made, private, checked),
 * into `out`: 0, or -1 with the reason in `err`. */
int state_base(char *out, size_t n, char *err, size_t errlen);
/* state_path - "DIR/FILE" into `out`: 0, or -1 when too long. */
int state_path(char *out, size_t n, const char *dir, const char *file);
/* state_live - whether the instance at `dir` has a live monitor (its lock
 * is held): never from a pid. */
bool state_live(const char *dir);
/* state_lock - take the instance's lock for its monitor: the fd (O_CLOEXEC:
 * held across fork, never by QEMU), or -EBUSY (held already), -errno. */
int state_lock(const char *dir);
/* state_write - replace the record of `dir` with `text` atomically (a
 * temporary file renamed over it): 0 or -errno. */
int state_write(const char *dir, const char *text);
/* state_read - the record of `dir` and whether it is live: 0 or -errno. */
int state_read(const char *dir, struct state_record *r);
/* state_get - the value of `key` ("" when absent); it lives in `r`. */
const char *state_get(const struct state_record *r, const char *key);
/* state_get_num - the value of `key` as a number, `dflt` when absent/bad. */
long long state_get_num(const struct state_record *r, const char *key, long long dflt);
/* state_shown - the state to show: the record's while live, else "exited". */
const char *state_shown(const struct state_record *r);
/* state_list - every instance's record (malloc'd array; the caller frees):
 * 0, or -1 with the reason in `err`. */
int state_list(struct state_record **out, size_t *n, char *err, size_t errlen);
/* state_find - the instance named `what`, whose id is `what`, or whose id
 * alone starts with `what` (docker's prefixes): 0, or -1 with the reason
 * (none, ambiguous) in `err`. */
int state_find(const char *what, struct state_record *r, char *err, size_t errlen);
/* state_create - a new instance: a fresh id, its directory (`dir`) and a
 * first record holding `name` (NULL: the id), the name checked unique
 * under the base directory's lock.  0, or -1 with the reason in `err`. */
int state_create(const char *name, char *dir, size_t dirlen, char id[STATE_ID_LEN + 1], char *err,
		 size_t errlen);
/* state_remove - delete the instance directory `dir` and its files: 0 or
 * -errno.  The caller checks that it is not live. */
int state_remove(const char *dir);
struct sockaddr_un;
/* state_sock_addr - the address of the control socket of `dir` into `sa`:
 * its path, or when that is too long for a sockaddr_un, a /proc/self/fd
 * path through a descriptor of `dir` left in *dfd (-1: none) for the
 * caller to close after bind or connect.  0 or -errno. */
int state_sock_addr(const char *dir, struct sockaddr_un *sa, int *dfd);
/* state_json_quote - `s` as a JSON string (quotes, escapes) on `f`. */
void state_json_quote(FILE *f, const char *s);

/* agent.c: the in-guest management agent's flags and packing. */

/* agent_option - record `--FLAG V` (FLAG one of api, api-token-file,
 * health, health-interval, health-timeout, health-retries, etcd, service,
 * etcd-ttl), checked: 0, or
 * -EINVAL with the reason in `err`. */
int agent_option(struct run_options *o, const char *flag, const char *v, char *err, size_t errlen);
/* agent_prepare - after parsing: the token for --api (the file, else
 * $MONOS_API_TOKEN via `getenv_fn`; without one a warning says the API
 * does not start, and --api is dropped).  0, or -EINVAL with `err`. */
int agent_prepare(struct run_options *o, char *err, size_t errlen,
		  char *(*getenv_fn)(const char *));
/* agent_write - when --api, --health or --etcd is given: the agent, its arguments
 * and the token as one more archive after the per-run one.  0, or -errno
 * with `err`. */
struct image_writer;
int agent_write(struct image_writer *w, const struct run_options *o, char *err, size_t errlen);
void agent_options_free(struct agent_options *a);

/* volume.c */

/* `monos volume ARGS` (argv[0] is the subcommand): create, ls, inspect, rm. */
int volume_main(int argc, char **argv);
extern const char volume_help[];
/* Is `name` a valid volume name? */
bool volume_name_ok(const char *name);
/* The file of volume `name` into `out` (it may not exist): 0, or -1 with
 * the reason (a bad name, no data directory) in `err`. */
int volume_path(const char *name, char *out, size_t n, char *err, size_t errlen);

/* disk.c */

/*
 * disk_prepare - check every --disk of `o` (it exists, is a regular file or
 * a block device, opens for reading, and for writing unless :ro; a file is
 * named once) and make its QEMU -drive and -device values for `machine`:
 * the format is qcow2 when the file starts with qcow2's magic (a qcow2
 * with a backing or external data file is refused: it would open other
 * host files), else raw; QEMU never probes.  Returns 0, or -1 with a
 * one-line reason in `err`.
 */
int disk_prepare(struct run_options *o, enum options_machine machine, char *err, size_t errlen);

/* share.c */

/*
 * share_prepare - make the QEMU -fsdev and -device values of every share
 * of `o` for `machine` (the 9p security model: passthrough when monos runs
 * as root, else none; see share.c), and add their lines to the per-run
 * "volumes" entry (o->volumes, made by disk_prepare or here).  --rootfs
 * DIR is the guest's root itself, read-only unless :rw, with the guest's
 * own /dev, /proc and /sys over it, and /tmp and /run as o->rootfs_tmp and
 * rootfs_run say.  Returns 0, or -1 with a one-line reason in `err`.
 */
int share_prepare(struct run_options *o, enum options_machine machine, char *err, size_t errlen);

/* share_covers - whether host path `path` is served to the guest at the
 * same path by a share of `o` (then the image need not carry it). */
bool share_covers(const struct run_options *o, const char *path);

/* image.c */

#define IMAGE_DIR_MODE	       (0040000 | 0755) /* S_IFDIR: a directory made up by monos */
#define IMAGE_MAX_SYMLINK_HOPS 40		/* Linux's MAXSYMLINKS */

/* One name written to the archive: its type, and a symlink's target (the
 * guest's lookup of later names follows it). */
struct image_name {
	char *name;
	uint32_t mode;
	char *target; /* S_IFLNK only, else NULL */
};

/* The cpio "newc" writer: one output file, its offset, and the names
 * written so far (directories are written once, whatever asks for them). */
struct image_writer {
	int fd;
	uint64_t off;
	uint32_t next_ino;
	bool reproducible;	  /* owners 0:0 (monos build: one digest) */
	bool zero_times;	  /* times 0 (monos build: the manifest dir's files) */
	struct image_name *names; /* open-addressing hash table, name NULL: free */
	size_t nnames, capnames;
	/* Optional: true for a host file or tree the guest has at the same
	 * path without the image (a share: share_covers); it is not packed. */
	bool (*skip)(const void *ctx, const char *host);
	const void *skip_ctx;
	char err[512]; /* why the last call failed */
};

/*
 * Every image_add_* function takes absolute guest paths, writes each name at
 * most once (the first writer wins), returns 0 or -errno, and on failure
 * leaves a one-line reason in w->err.  The archive is then unusable.
 */

/* image_open - start writing an archive to `fd` at its current offset 0. */
int image_open(struct image_writer *w, int fd);
/* image_close - free the writer's memory (does not close the fd). */
void image_close(struct image_writer *w);
/* image_add_parents - directory entries for every parent of `guest` that
 * the archive lacks; -ENOTDIR when one is already a non-directory. */
int image_add_parents(struct image_writer *w, const char *guest);
/*
 * image_add_path - the host file, symlink or whole directory tree `host`.
 * With `guest` NULL it goes at its own host path, walked as the guest's
 * lookup will walk it: every symlink on the way (a merged-/usr /bin ->
 * usr/bin, a file's own link) is packed as a symlink and followed, and the
 * file or tree at the end goes at its real path (image_add_host_path).
 * With `guest` (absolute) the host path is resolved (as a bind mount would)
 * and the result placed at `guest`; symlinks already in the archive on the
 * way to `guest` are followed.  Symlinks inside a tree are packed as
 * symlinks.  Refused (-EEXIST, -ENOTDIR, -EISDIR with w->err): a
 * non-directory over a directory of the archive or one the guest always has
 * (/, /tmp, /dev, /proc, /sys, /etc, /root), a directory over a file.  A
 * file at a name already written is skipped (the first one wins).
 */
int image_add_path(struct image_writer *w, const char *host, const char *guest);
/*
 * image_add_host_path - `path` (absolute host path) at its own path, as
 * image_add_path(w, path, NULL).  -ELOOP after 40 symlinks.
 */
int image_add_host_path(struct image_writer *w, const char *path);
/* image_add_data - a regular file of `mode` holding `len` bytes of memory. */
int image_add_data(struct image_writer *w, const char *guest, const void *data, size_t len,
		   uint32_t mode);
/* image_add_dir_entry - one directory (attributes from the host's, if any). */
int image_add_dir_entry(struct image_writer *w, const char *guest, uint32_t mode);
/* image_finish_archive - the trailer; another archive may follow. */
int image_finish_archive(struct image_writer *w);
/* image_absolute - `path` made absolute against the cwd and lexically
 * normalised; malloc'd, NULL when out of memory. */
char *image_absolute(const char *path);
/* image_fail - record why a call failed in w->err ("%s: ..."); returns
 * `rc`.  For image.c and image_names.c. */
int image_fail(struct image_writer *w, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* image_names.c */

/* image_contains - whether `guest` has been written already. */
bool image_contains(const struct image_writer *w, const char *guest);
/* image_names_find - the entry written at `guest`, or NULL. */
const struct image_name *image_names_find(const struct image_writer *w, const char *guest);
/* image_names_add - remember `guest` with its mode (and a symlink's
 * target, `len` bytes), once: 0 or -ENOMEM (w->err). */
int image_names_add(struct image_writer *w, const char *guest, uint32_t mode, const void *target,
		    size_t len);
/* image_names_free - forget every name (image_close). */
void image_names_free(struct image_writer *w);
/* image_normalize - `path` (absolute) with "." and ".." folded and slashes
 * single; malloc'd, NULL when out of memory. */
char *image_normalize(const char *path);
/*
 * image_names_resolve - `path` (absolute, normalised) as the guest's lookup
 * will find it: each symlink already written on the way (and at the end,
 * with `follow_last`) replaced by its target.  0 with *out malloc'd, or
 * -ENOMEM, -ELOOP (w->err).
 */
int image_names_resolve(struct image_writer *w, const char *path, bool follow_last, char **out);

/* The per-run values, gathered by the caller so tests can fix them. */
struct rundata {
	const char *exe; /* absolute guest path */
	char *const *argv;
	int argc;
	char *const *env;
	size_t nenv;
	const char *cwd;
	int64_t sec, nsec;
	uint8_t seed[32];
	char tty[3];
	bool have_winsize;
	struct monos_chan_winsize winsize;
	const char *user;     /* MONOS_RUN_USER's text, or NULL: root */
	const char *volumes;  /* MONOS_RUN_VOLUMES' text, or NULL: none */
	const char *hostname; /* MONOS_RUN_HOSTNAME's text, or NULL: "monos" */
	const char *rlimits;  /* MONOS_RUN_RLIMITS' text, or NULL: Linux's defaults */
	bool disk_boot;	      /* no time, seed or terminals: a disk boots later (export) */
};

/* user.c */

#define USER_MAX_GROUPS 64 /* supplementary groups taken from /etc/group */

/* Who the program runs as (-u), resolved. */
struct run_user {
	uint32_t uid, gid;
	uint32_t groups[USER_MAX_GROUPS]; /* supplementary, as /etc/group lists */
	size_t ngroups;
	char home[256]; /* HOME: the passwd entry's, else "/" */
	char name[64];	/* the passwd entry's name, else "" */
};

/*
 * user_resolve - resolve o->user ("USER[:GROUP]") against the image's
 * /etc/passwd and /etc/group as docker does (user.c's header).  Returns 0,
 * or -ENOENT (no such name), -EINVAL or -ENOMEM with a line in `err`.
 */
int user_resolve(const struct run_options *o, struct run_user *u, char *err, size_t errlen);
/* user_ids_text - "UID:GID[:G1,G2...]" for MONOS_RUN_USER, malloc'd, or NULL. */
char *user_ids_text(const struct run_user *u);

/* rundata.c */

/* rundata_etc_text - the text monos generates for /etc file `path` when
 * the image lacks it ("" for a file it does not generate). */
const char *rundata_etc_text(const char *path);

/* rundata_gather - this run's values (time, seed, terminals) into `ri`. */
void rundata_gather(struct rundata *ri, const struct run_options *o, const char *exe,
		    const char *cwd);
/* rundata_path_add - make the guest's PATH list `dir` (docker's default
 * PATH gets it appended; a PATH from -e is left alone): true when it does. */
bool rundata_path_add(struct rundata *ri, const char *dir);
/* rundata_get_winsize - the size of whichever of fds 0-2 is a terminal;
 * false when none is. */
bool rundata_get_winsize(struct monos_chan_winsize *ws);
/*
 * rundata_write - append the per-run archive (bootinfo.h, plus .monos/cwd
 * and directory entries for the cwd) and its trailer.  Call after
 * image_finish_archive() of the image.  Returns 0 or -errno (w->err).
 */
int rundata_write(struct image_writer *w, const struct rundata *ri);

/* channel.c */

#define CHANNEL_LOG_KEEP   (256u << 10) /* kernel log bytes kept for failures */
#define CHANNEL_ENOSYS_MAX 16		/* calls that got ENOSYS, named at exit */
#define CHANNEL_LINE_MAX   256		/* a log line longer is not an ENOSYS line */
#define CHANNEL_OUTQ_HIGH  (64u << 10)	/* stop reading stdin above this */

/* The host end of the channel: decoder, the outgoing queue, what the guest
 * said.  Owned by the session; no locking (one thread). */
struct channel {
	struct monos_chan_decoder dec;
	int out_fd, err_fd; /* where STDOUT and STDERR/TRACE frames go */
	bool verbose;	    /* LOG frames also go to err_fd live */
	bool stdout_broken; /* EPIPE on out_fd: drop STDOUT frames */
	bool have_exit;
	bool guest_ready; /* READY seen: frames for the guest may be sent */
	struct monos_chan_exit exit;
	uint64_t bad_frames; /* frames with a valid header but bad content */
	char *log;	     /* ring of the last CHANNEL_LOG_KEEP log bytes */
	size_t log_start, log_len;
	char line[CHANNEL_LINE_MAX]; /* the log line being received */
	size_t line_len;	     /* CHANNEL_LINE_MAX: too long, skipped */
	/* What got ENOSYS, from the kernel's "it got ENOSYS" lines (table.c),
	 * each the call's name. */
	char enosys[CHANNEL_ENOSYS_MAX][64];
	unsigned nenosys;
	uint8_t *outq; /* bytes waiting for the socket */
	size_t outq_len, outq_cap;
	size_t outq_partial;	       /* bytes at its head of a frame half written */
	struct monos_chan_stats stats; /* the guest's last STATS answer */
	uint64_t stats_gen;	       /* STATS answers received */
	uint8_t health;		       /* the agent's last HEALTH frame (0: none) */
	uint64_t health_gen;	       /* HEALTH frames received */
	/* Where the frames of started processes' streams go (`monos exec`:
	 * the monitor), checked for form, not for the id; NULL: dropped. */
	void (*stream_fn)(void *arg, unsigned type, unsigned id, const uint8_t *p, size_t len);
	void *stream_arg;
};

/* channel_init - STDOUT frames to `out_fd`, STDERR/TRACE (and with
 * `verbose`, LOG) to `err_fd`.  Returns 0 or -ENOMEM. */
int channel_init(struct channel *c, int out_fd, int err_fd, bool verbose);
void channel_free(struct channel *c);
/* channel_feed - decode bytes from the UART; complete frames are dispatched. */
void channel_feed(struct channel *c, const uint8_t *buf, size_t len);
/* channel_feed_wire - the same for another wire, with its own decoder. */
void channel_feed_wire(struct channel *c, struct monos_chan_decoder *dec, const uint8_t *buf,
		       size_t len);
/* channel_dispatch - act on one frame; any type and content is safe. */
void channel_dispatch(struct channel *c, unsigned type, const uint8_t *payload, size_t len);
/* channel_queue - queue a frame for the guest: 0, -EINVAL (too long), -ENOMEM. */
int channel_queue(struct channel *c, unsigned type, const void *payload, size_t len);
/* channel_flush - write what the non-blocking `sock` takes: 0 or -errno. */
int channel_flush(struct channel *c, int sock);
/* channel_log_copy - the newest kept log bytes, oldest first; the count. */
size_t channel_log_copy(const struct channel *c, char *out, size_t outlen);
/* channel_print_log - the kept log, or its last `last_lines` lines (0: all). */
void channel_print_log(const struct channel *c, int fd, unsigned last_lines);

#define CHANNEL_LOG_ALL	       (~0u) /* print the whole kept log */
#define CHANNEL_EXEC_LOG_LINES 10    /* log lines shown when exec failed */

/* How a run ended, for the user: exit status, message, what to show. */
struct channel_outcome {
	int code;	    /* the CLI's exit status */
	char msg[512];	    /* "" or one line for msg_error() */
	char enosys[640];   /* "" or one line naming what got ENOSYS */
	unsigned log_lines; /* 0: none, CHANNEL_LOG_ALL, or the last N lines */
	bool show_qemu_err; /* also print what QEMU wrote on stderr */
};

/* channel_outcome - how the run ended, from the exit frame or its absence;
 * `memory` and `prog` only serve the messages.  Without -v the kernel log
 * is shown only when monos failed (a panic, no exit status, exec); the
 * calls that got ENOSYS are named whenever the program did not succeed. */
void channel_outcome(const struct channel *c, uint64_t memory, const char *prog,
		     struct channel_outcome *out);
/* channel_signal_name - "SIGSEGV" for 11 (Linux numbering); not reentrant. */
const char *channel_signal_name(unsigned signo);

/* qemu.c */

struct qemu_config {
	const char *qemu;   /* binary path */
	const char *kernel; /* PVH kernel */
	const char *initrd; /* the image */
	uint64_t memory;
	bool kvm, trace, verbose;
	enum options_net net;
	enum options_machine machine;
	const char *tap;		  /* host tap device for OPTIONS_NET_TAP */
	const char *publish;		  /* -p forwards (",hostfwd=..."), or NULL */
	const char *ip, *gateway;	  /* monos.ip= and monos.gateway= values, or NULL */
	const char *mac;		  /* the NIC's MAC address, or NULL: QEMU's */
	const char *kernel_args;	  /* extra kernel options, or NULL ($MONOS_KERNEL_ARGS) */
	bool vcon;			  /* the fast wire: a virtio console on QEMU_VCON_FD */
	const struct options_disk *disks; /* with drive and device made */
	size_t ndisks;
	const struct options_share *shares; /* with fsdev and device made */
	size_t nshares;
};

#define QEMU_VCON_FD 3 /* QEMU's end of the virtio console's socketpair */

/* qemu_find - $MONOS_QEMU or qemu-system-x86_64 on PATH: 0, or -ENOENT. */
int qemu_find(char *out, size_t outlen);
/*
 * qemu_pick_accel - KVM or TCG for `pref`, the reason in `why`.  `root`
 * prefixes /dev and /sys ("" normally).  -errno only when KVM was forced and
 * /dev/kvm cannot be opened read-write.
 */
int qemu_pick_accel(enum options_accel pref, const char *root, bool *kvm, char *why, size_t whylen);
/* qemu_build_argv - QEMU's argv (NULL-terminated) for `cfg`; built strings
 * live in `buf`.  Returns argc, or -E2BIG if `max` or `buflen` is short. */
int qemu_build_argv(const struct qemu_config *cfg, char **argv, size_t max, char *buf,
		    size_t buflen);
/*
 * qemu_spawn - start QEMU in its own process group, stdin/stdout on a
 * socketpair (the UART), the virtio console on a second one (unless
 * $MONOS_VIRTIO_CONSOLE is 0: *vsock is then -1) and stderr on a pipe.
 * Returns 0 with the CLI's ends (the sockets non-blocking) and the pid, or
 * -errno.  The caller reaps the child.
 */
int qemu_spawn(const struct qemu_config *cfg, int *sock, int *vsock, int *errpipe, pid_t *pid);
/* qemu_widen_listen_queues - full accept queues for QEMU's forwarded
 * ports (libslirp listens with a backlog of 1).  Best effort; call once
 * the guest is up. */
void qemu_widen_listen_queues(pid_t pid);

/* session.c */

struct session_result {
	bool exited;	  /* QEMU was reaped */
	int wait_status;  /* its waitpid status */
	bool interrupted; /* killed by a signal before the guest was READY */
	int kill_signo;	  /* killed by this second SIGINT/TERM/HUP, or 0 */
	int stop_signo;	  /* the first SIGINT/TERM/HUP forwarded, or 0 */
};

/* session_open_signals - block SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGCHLD
 * and return a signalfd for them, or -errno.  Call before qemu_spawn(). */
int session_open_signals(void);

#define SESSION_HOOK_FDS 20 /* descriptors a hook may add to the poll */

struct pollfd;
/*
 * More for the loop to watch (the monitor's control socket and its
 * clients): before each poll, fill() sets up to `max` pollfds and may lower
 * *timeout_ms (-1: none) for a deadline of its own; it may queue frames on
 * the channel, which are then sent.  After the poll, handle() gets the same
 * pollfds with their revents (also on a timeout: all zero).
 */
struct session_hook {
	void *arg;
	size_t (*fill)(void *arg, struct pollfd *pf, size_t max, int *timeout_ms);
	void (*handle)(void *arg, const struct pollfd *pf, size_t n);
};

/*
 * session_run - relay between the user and the guest until QEMU is reaped
 * and its sockets (`vsock` -1 if none) and stderr are at EOF; `hook`
 * (NULL: none) adds descriptors of the caller's.  *qemu_err
 * (malloc'd; the caller frees) receives the tail of QEMU's stderr.  Returns 0, or -errno if the
 * loop failed (QEMU is then killed and reaped).
 */
int session_run(struct channel *c, int sock, int vsock, int errpipe, int sigfd, pid_t qemu,
		bool verbose, const struct session_hook *hook, struct session_result *res,
		char **qemu_err, size_t *qemu_err_len);

/* run.c: see the end of this file for what a run is made of */

/* run_main - `monos run`; argv[0] is the first argument after "run".
 * Returns the process exit status. */
int run_main(int argc, char **argv);
/* run_find_kernel - the kernel file: $MONOS_KERNEL, else monos-kernel
 * beside this binary, into `out`.  0, or -1 after one error line. */
int run_find_kernel(char *out, size_t outlen);
/* run_create_main - `monos create`: run -d whose monitor waits for `monos
 * start` before QEMU starts. */
int run_create_main(int argc, char **argv);

/* script.c */

#define SCRIPT_BUF_SIZE	 256 /* bytes of a file execve reads: Linux's BINPRM_BUF_SIZE */
#define SCRIPT_MAX_DEPTH 5   /* scripts in one chain: exec_binprm's `depth > 5` */

/* A parsed `#!` line; interp and arg point into buf. */
struct script_line {
	char buf[SCRIPT_BUF_SIZE + 1];
	const char *interp;
	const char *arg; /* the one optional argument, or NULL */
};

/*
 * script_parse - the `#!` line of a file whose first `len` bytes are
 * `head`, as Linux's binfmt_script reads it (rules at the top of
 * script.c).  Returns 1 when the file does not start with "#!", 0 with
 * out->interp (and out->arg or NULL), or -ENOEXEC for a line Linux
 * refuses.  Pure (fuzzable); any caller.
 */
int script_parse(const void *head, size_t len, struct script_line *out);
/* script_read - script_parse() of the file at `path`: 1, 0, -ENOEXEC, or
 * -errno when it cannot be read. */
int script_read(const char *path, struct script_line *out);
/* script_env_command - the command `#!/usr/bin/env [-S ...] CMD` has env
 * look up on PATH, into `out`; false when there is none. */
bool script_env_command(const struct script_line *l, char *out, size_t outlen);

/* program.c */

#define PROGRAM_MAX_ENV_DEPTH 4 /* `#!/usr/bin/env CMD` where CMD is such a script... */

/*
 * What a run (or an exec in the guest) of one path starts: the path itself
 * when it is an ELF file, else the chain of `#!` scripts and the ELF
 * interpreter at its end; plus, when the last script runs env, the command
 * env will find on PATH (with its own chain).
 */
struct program {
	char *exe;			 /* the ELF file the kernel maps, absolute */
	char **argv;			 /* as execve passes it to exe (malloc'd strings) */
	int argc;			 /* 0 when not asked for */
	char *scripts[SCRIPT_MAX_DEPTH]; /* each script of the chain, absolute */
	int nscripts;
	struct program *env; /* what `#!/usr/bin/env CMD` runs, or NULL */
	char *env_dir;	     /* the directory of PATH where CMD was found */
};

/*
 * program_check - find PROGRAM, argv[0] (on PATH when it has no '/'), and
 * check that monos can run it: an executable ELF file, or a `#!` script
 * whose chain ends in one (followed as execve does, up to
 * SCRIPT_MAX_DEPTH scripts; p->argv is then the argv Linux builds, with
 * `argv` after it).  Returns 0, or CLI_EXIT_NOT_FOUND (PROGRAM, an
 * interpreter or env's command missing), CLI_EXIT_CANNOT_RUN or
 * CLI_EXIT_ERROR with one line in `msg` naming the script and the
 * interpreter.  The caller MUST call program_free(), on success or failure.
 */
int program_check(char *const *argv, int argc, struct program *p, char *msg, size_t msglen);
/*
 * program_follow - the same for the host file `path` that a program may
 * exec (no PATH lookup, no argv): 0 or the statuses above.
 */
int program_follow(const char *path, struct program *p, char *msg, size_t msglen);
/*
 * program_in_rootfs - PROGRAM as the OCI runtime found it in the container's
 * rootfs (`exe`, a guest path served by --rootfs, already checked there):
 * p->exe is `exe`, p->argv a copy of `argv`; nothing of it is on the host
 * to check or pack.  0, or CLI_EXIT_ERROR (out of memory).
 */
int program_in_rootfs(const char *exe, char *const *argv, int argc, struct program *p);
/* program_free - release what program_check/program_follow put in `p`. */
void program_free(struct program *p);

/* deps.c */

/* One ELF object of a dynamic program: the program, its interpreter, or a
 * shared library, with what its dynamic section says. */
struct deps_object {
	char *name;	       /* as asked for: DT_NEEDED, the PT_INTERP path, PROGRAM */
	char *path;	       /* host path where it was found (symlinks not resolved) */
	const char *how;       /* which rule found it ("DT_RUNPATH", "default path"...) */
	long loader;	       /* index of the object that needed it; -1 for the program */
	char *interp;	       /* PT_INTERP, or NULL */
	char *soname;	       /* DT_SONAME, or NULL */
	char *rpath, *runpath; /* DT_RPATH, DT_RUNPATH as written, or NULL */
	char **needed;	       /* DT_NEEDED names, in order */
	size_t nneeded;
	bool module; /* packed by its --file tree, not by deps_pack() */
};

/* Everything a dynamic program needs; objs[0] is the program, objs[1] its
 * interpreter.  Empty (n == 0) for a static program. */
struct deps_list {
	struct deps_object *objs;
	size_t n, cap;
	bool musl;   /* the interpreter is musl's (ld-musl-*) */
	char **conf; /* glibc: the directories of /etc/ld.so.conf */
	size_t nconf;
	char *musl_path;      /* musl: contents of its path file, or NULL */
	char *musl_path_file; /* musl: where that file is looked for */
	char err[1024];	      /* why deps_resolve failed */
};

/*
 * deps_resolve - for the checked program at `exe` (absolute), find its
 * interpreter and, transitively, every DT_NEEDED library along the search
 * path its ld.so (glibc or musl) would use, without running anything; the
 * rules are at the top of deps.c.  `display` names the program in messages.
 * Returns 0 (with l->n == 0 for a static program), or CLI_EXIT_CANNOT_RUN
 * with one line in l->err ("PROG needs libx.so.1, which was not found
 * (searched: ...)", or a malformed library named with the reason).  The
 * caller MUST call deps_free() afterwards, on success or failure.
 */
int deps_resolve(const char *exe, const char *display, struct deps_list *l);
/*
 * deps_add_module - the ELF shared object at `path` (of a --file: Python's
 * extension modules, plugins a program will dlopen) joins `l` as a module
 * loaded by the program (its DT_RPATH counts), unless it needs nothing or
 * ld.so would not load it.  Only for a dynamic program (l->n > 0); call
 * deps_resolve_modules() afterwards.  0, or -1 with l->err (out of memory).
 */
int deps_add_module(struct deps_list *l, const char *path);
/*
 * deps_resolve_modules - resolve the libraries of objs[from...] (modules
 * just added) as the program's are.  A library that cannot be found is left
 * out, as it would fail natively too (with `verbose`, said).  Returns 0, or
 * -1 with l->err when out of memory.
 */
int deps_resolve_modules(struct deps_list *l, size_t from, bool verbose);
/* deps_free - release what deps_resolve() allocated in `l`. */
void deps_free(struct deps_list *l);
/*
 * deps_pack - pack every object of `l` (the program included; modules are
 * left to their --file) at its host
 * path, plus the file the guest's loader reads its search path from
 * (/etc/ld.so.cache or musl's path file) when the host has one; with
 * `verbose`, one line per library saying where it was found.  Returns 0 or
 * -errno with the reason in w->err.
 */
int deps_pack(struct image_writer *w, const struct deps_list *l, bool verbose);
/* pack.c */

/* Everything a run packs besides the --file trees: see pack.c. */
struct pack {
	struct deps_list prog;	 /* PROGRAM's ELF file (modules join it) */
	struct deps_list *execs; /* each other dynamic program it may exec */
	size_t nexecs;
	char **files; /* packed at their host path as they are: scripts,
		       * static programs */
	size_t nfiles;
	char **modules; /* shared objects of --file trees, for pack_finish */
	size_t nmodules;
	char **seen; /* the programs resolved so far (host paths) */
	size_t nseen;
	char **path_dirs; /* where `#!/usr/bin/env CMD` found each CMD */
	size_t npath_dirs;
	bool verbose;
	char err[1024]; /* why the last call failed */
};

/*
 * pack_program - start `k` with the checked program `p` (program_check;
 * `display` names it in messages): its ELF file with its interpreter and
 * libraries, its scripts, and env's command with its own.  Returns 0, or
 * CLI_EXIT_CANNOT_RUN / CLI_EXIT_ERROR with k->err.  The caller MUST call
 * pack_free() afterwards, on success or failure.
 */
int pack_program(struct pack *k, const struct program *p, const char *display, bool verbose);
/*
 * pack_scan - the --file `host` (a file or a tree): its dynamic
 * executables' interpreters and libraries, its executable scripts'
 * interpreters, and its shared objects as modules (for pack_finish).
 * Returns 0, or CLI_EXIT_ERROR with k->err when out of memory.
 */
int pack_scan(struct pack *k, const char *host);
/* pack_finish - resolve the modules' libraries, after every pack_scan:
 * 0, or CLI_EXIT_ERROR with k->err. */
int pack_finish(struct pack *k);
/* pack_write - write all of it to the image: 0 or -errno (w->err). */
int pack_write(struct image_writer *w, const struct pack *k);
/* pack_free - release what the pack_* calls allocated in `k`. */
void pack_free(struct pack *k);

/* locales.c */

/*
 * locales_pack - for a glibc program (`l` resolved), the locale data the
 * -e variables `env` ask for (LC_ALL, LC_*, LANG other than C or POSIX):
 * /usr/lib/locale/locale-archive and the locale's own directory, when the
 * host has them.  Returns 0 or -errno with the reason in w->err.
 */
int locales_pack(struct image_writer *w, const struct deps_list *l, char *const *env, size_t nenv,
		 bool verbose);

/* deps_elf.c */

/*
 * deps_elf_read - read what a dynamic loader reads from the ELF file at
 * `path` (PT_INTERP, DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH) into the
 * zeroed `o`.  `shared`: it must be a shared object (ET_DYN).  Returns 1 if
 * ld.so would pass the file over (missing, not ELF, another class, byte
 * order or machine), 0 when read, or -1 with one line in `err` when it is a
 * damaged x86-64 ELF file or cannot be read.  Any caller; o is left for
 * deps_elf_free() in every case.
 */
int deps_elf_read(const char *path, bool shared, struct deps_object *o, char *err, size_t errlen);
/* deps_elf_free - free every string of `o` and clear it. */
void deps_elf_free(struct deps_object *o);

/* run.c (continued): one run's parts, for run -d, the monitor and the OCI
 * runtime. */

/* A checked program, packed and ready to boot as often as asked. */
struct run_job {
	struct run_options *o;
	struct program prog;
	struct pack pk;
	char kernel[STATE_PATH_MAX], qemu[STATE_PATH_MAX];
	struct qemu_config cfg; /* cfg.initrd: set by the caller to the image */
};

/* How a boot talks to a caller that watches it (the monitor). */
struct run_io {
	const struct session_hook *hook; /* more fds for the session's loop */
	/* Called once QEMU runs, with the session's channel (valid until the
	 * boot returns) and QEMU's pid. */
	void (*started)(void *arg, struct channel *c, pid_t qemu);
	void *arg;
	bool had_exit;	/* out: the guest sent its exit status */
	int stop_signo; /* out: SIGINT/TERM/HUP this process got and forwarded */
};

/*
 * run_job_prepare - everything between parsed options `o` and a boot: -u,
 * the disks, the program and what it needs packed, the kernel, QEMU and the
 * accelerator.  Returns 0, or the exit status having printed one line.
 * The caller MUST call run_job_free() in every case; `o` must outlive `j`.
 */
int run_job_prepare(struct run_job *j, struct run_options *o);
void run_job_free(struct run_job *j);
/* run_job_pack - write the image with fresh per-run data (time, seed) to
 * `path` and check that it fits the memory: 0, or -1 (said). */
int run_job_pack(struct run_job *j, const char *path);
/*
 * run_job_boot - start QEMU on j->cfg.initrd and relay the session (stdin,
 * stdout and stderr are this process's) until it ends; `io` may be NULL.
 * Returns the exit status, as the foreground `monos run` does, having said
 * what the user needs to see on stderr.
 */
int run_job_boot(struct run_job *j, struct run_io *io);

/* monitor.c */

/*
 * monitor_spawn - start the monitor of the instance whose state directory
 * is `dir` (state_create, or the OCI runtime's own) for the prepared job:
 * a child of this process (forked, not re-executed: see monitor.c) in its
 * own session, holding the instance's lock and serving its control socket
 * `dir`/sock before this returns.  With `gated` it waits for a start
 * request (monitor_request "start") before QEMU starts; else it boots at
 * once.  Returns the monitor's pid, or -1 with one line printed.
 */
pid_t monitor_spawn(struct run_job *j, const char *dir, const char *id, bool gated);
/* monitor_create - the same from parsed options `o` (options_parse_run):
 * run_job_prepare, monitor_spawn, run_job_free.  Returns the monitor's
 * pid, or minus the exit status (its line printed). */
pid_t monitor_create(struct run_options *o, const char *dir, const char *id, bool gated);
/* monitor_ports_json - the -p forwards (`publish`, QEMU's hostfwd list) as
 * "IP:HOST->GUEST/PROTO" strings in a JSON array on `f`. */
void monitor_ports_json(FILE *f, const char *publish);
/* monitor_address - the guest's address as options.c knows it (--ip, else
 * the default), or NULL without a network. */
const char *monitor_address(const struct run_options *o);
/* monitor_detach - `monos run -d` (and `monos create`, `gated`): a new
 * instance (state_create) with its monitor; prints the id.  Returns the
 * exit status. */
int monitor_detach(struct run_options *o, bool gated);

/* exec_client.c */

#define EXEC_GROUPS_MAX 64 /* supplementary gids an exec request carries */

/* What to start in a running instance (`monos exec`, `monos-runtime exec`). */
struct exec_request {
	char **argv; /* the program (a name is looked up in PATH) and its arguments */
	size_t argc;
	char **env; /* K=V added to the instance's environment (replacing its K) */
	size_t envc;
	const char *cwd; /* NULL: the program's working directory */
	bool user_set;	 /* else the program's uid, gid and groups */
	uint32_t uid, gid;
	uint32_t groups[EXEC_GROUPS_MAX];
	size_t ngroups;
	bool interactive; /* -i: relay stdin (else the process's fd 0 is at EOF) */
	bool tty;	  /* -t: a terminal in the guest */
	uint16_t rows, cols;
	int notify_fd; /* -1, or gets one byte once the process runs, then closed */
};

/* exec_client_build - the EXEC frame's payload for `q` into `buf`: its
 * length, or -E2BIG (over one frame), -EINVAL. */
long exec_client_build(const struct exec_request *q, uint8_t buf[MONOS_CHAN_MAX]);
/* exec_client_run - run `q` in the instance of `dir` (its monitor's
 * socket), relaying stdio and SIGINT/SIGTERM/SIGHUP until it ends.
 * Returns docker exec's status: the process's, 128 + its signal, 126/127
 * when it cannot be started or is not found, 125 for monos' own errors
 * (said on stderr: instance not running, monitor gone, no answer). */
int exec_client_run(const char *dir, const struct exec_request *q);

/* monitor_client.c */

#define MONITOR_REPLY_MAX 1024

/*
 * monitor_request - send one request line to the monitor of `dir` and read
 * its one-line answer (without the newline) into `reply`, waiting at most
 * `timeout_ms` (-1: as long as it takes).  Requests and answers:
 *   start         "ok": the gate opens (the instance boots)
 *   signal N      "ok": Linux signal N to the program (9: QEMU is killed)
 *   stop SECS     "ok": SIGTERM now, SIGKILL after SECS; no restart
 *   state         "STATE STATUS RESTARTS QEMUPID" (STATUS -1: none yet)
 *   wait          "STATUS", once the instance has ended for good
 *   stats         "mem_total=B mem_used=B cpu_ns=N uptime_ns=N rx_bytes=B
 *                 rx_packets=N tx_bytes=B tx_packets=N"
 * "error: ..." for a request that cannot be served.  Returns 0, or -errno
 * (-ECONNREFUSED, -ENOENT: no monitor; -ETIMEDOUT).
 */
int monitor_request(const char *dir, const char *req, char *reply, size_t n, int timeout_ms);

#define MONITOR_CLIENT_TIMEOUT_MS 10000 /* the wrappers' wait for an answer */

/* The wrappers, for the OCI runtime: 0, or -errno (-ECONNREFUSED/-ENOENT:
 * no live monitor; -EPROTO: refused, the monitor's answer in `why`). */
int monitor_start(const char *dir, char *why, size_t n);
int monitor_signal(const char *dir, int signo, char *why, size_t n);
/* monitor_state - "created", "running", "restarting" or "exited" into
 * `state`, the last status (-1: none yet) and QEMU's pid (0: none now).
 * A dead instance's come from its record (state_read), not from here. */
int monitor_state(const char *dir, char *state, size_t n, int *status, pid_t *qemu);
/* monitor_wait - block until the instance has ended for good: *status. */
int monitor_wait(const char *dir, int *status);

/* cmd_ps.c, cmd_logs.c, cmd_ctl.c, cmd_inspect.c: the instance commands.
 * Each takes the arguments after its name and returns the exit status. */
int cmd_ps_main(int argc, char **argv);
int cmd_ps_logs(int argc, char **argv);
int cmd_ctl_stop(int argc, char **argv);
int cmd_ctl_kill(int argc, char **argv);
int cmd_ctl_wait(int argc, char **argv);
int cmd_ctl_start(int argc, char **argv);
int cmd_ctl_rm(int argc, char **argv);
int cmd_inspect_main(int argc, char **argv);
int cmd_inspect_stats(int argc, char **argv);
/* cmd_ctl_signo - a signal given as "TERM", "SIGTERM" or "15": the Linux
 * number, or -1. */
int cmd_ctl_signo(const char *s);
extern const char cmd_instances_help[];
/* cmd_exec.c: `monos exec` (its help: cmd_exec_help). */
int cmd_exec_main(int argc, char **argv);
extern const char cmd_exec_help[];

/* manifest.c */

enum manifest_health_kind { MANIFEST_HEALTH_NONE, MANIFEST_HEALTH_HTTP, MANIFEST_HEALTH_TCP };

/* The health check (contract 23: the in-guest agent runs it).  Stored in
 * the model and the image's configuration; manifest_apply makes it
 * --health and its timings. */
struct manifest_health {
	enum manifest_health_kind kind;
	char *path;    /* http: the request's path, "/..." */
	unsigned port; /* 1..65535 */
	uint64_t interval_ms, timeout_ms;
	unsigned retries;
};

/*
 * The model of a monos.yaml (docs/manifest.md), every value checked.  Lists
 * keep the file's order; env is sorted by name (the serialized form is
 * canonical).  Host paths are absolute (a relative one is resolved against
 * the manifest's directory).
 */
struct manifest {
	char *program;
	char **args;
	size_t nargs;
	char **env; /* "NAME=VALUE" */
	size_t nenv;
	char **files; /* "HOST:GUEST", both absolute */
	size_t nfiles;
	char *memory, *machine;	  /* as written (checked); NULL: not set */
	char *net, *ip, *gateway; /* network: "user"/"tap:NAME"/"none", address, gateway */
	char **ports;
	size_t nports;
	char **volumes; /* "SRC:DIR[:ro]", a path SRC absolute */
	size_t nvolumes;
	struct manifest_health health;
	/* registry: etcd registration (--etcd, --service, --etcd-ttl), checked;
	 * NULL: not set.  ttl as whole seconds ("10"). */
	char *reg_etcd, *reg_service, *reg_ttl;
	char *restart; /* "no", "on-failure", "on-failure:N", "always"; NULL: not set */
	char *dir;     /* the manifest's directory (absolute), where relative paths start */
};

#define MANIFEST_MAX_SIZE (1u << 20) /* bytes of a monos.yaml */

/*
 * manifest_parse - read the YAML `text` (`len` bytes) of the manifest named
 * `name` (for messages), whose relative host paths are taken against the
 * directory `dir`, into the zeroed `m`.  Returns 0, or -EINVAL (-ENOMEM)
 * with one line in `err`: "NAME:LINE: KEY: reason".  Pure but for
 * allocation: no file is opened (fuzzable).  The caller MUST call
 * manifest_free() on success or failure.
 */
int manifest_parse(const char *text, size_t len, const char *name, const char *dir,
		   struct manifest *m, char *err, size_t errlen);
/* manifest_load - manifest_parse() of the file `path`: 0 or -errno, `err`. */
int manifest_load(const char *path, struct manifest *m, char *err, size_t errlen);
/*
 * manifest_apply - set `m`'s keys in `o` through options_set (the flags'
 * own checks), lists appended: the manifest's layer of contract 22, below
 * the command line's.  0, or -EINVAL with `err` naming the key.
 */
int manifest_apply(const struct manifest *m, struct run_options *o, char *err, size_t errlen);
/* manifest_json - the run settings of `m` (all but files) as canonical
 * JSON, one line, malloc'd; NULL when out of memory.  manifest_parse reads
 * it back. */
char *manifest_json(const struct manifest *m);
/* manifest_from_node - the same from an already parsed YAML (or JSON)
 * mapping `root` (store.c reads an image's configuration so). */
struct yaml_node;
struct yaml_tree;
struct yaml_error;
int manifest_from_node(const struct yaml_node *root, const char *name, const char *dir,
		       struct manifest *m, char *err, size_t errlen);
/* manifest_yaml_parse - yaml_parse() with malloc and the default limits. */
int manifest_yaml_parse(const char *text, size_t len, struct yaml_tree *tree,
			struct yaml_error *err);
/* manifest_free - release what manifest_parse put in `m`. */
void manifest_free(struct manifest *m);

/* manifest_json.c: JSON text out, for manifest_json and store.c. */
/* manifest_json_string - `s` as a JSON string (quoted, escaped). */
void manifest_json_string(FILE *f, const char *s);
/* manifest_json_list - `n` strings as a JSON array. */
void manifest_json_list(FILE *f, char *const *v, size_t n);

/* store.c */

/* `monos build`, `images`, `inspect`, `rmi`, `tag`, `save`, `load`: see store.c. */
int store_build_main(int argc, char **argv);
int store_images_main(int argc, char **argv);
int store_inspect_main(int argc, char **argv);
int store_rmi_main(int argc, char **argv);
int store_tag_main(int argc, char **argv);
int store_save_main(int argc, char **argv);
int store_load_main(int argc, char **argv);
extern const char store_help[];

#define STORE_DIGEST_LEN 72 /* "sha256:" + 64 hex digits + NUL */

/* An image found in the store, ready to run. */
struct store_image {
	char digest[STORE_DIGEST_LEN]; /* "sha256:HEX" of its configuration */
	char rootfs[STORE_DIGEST_LEN]; /* "sha256:HEX" of its packed tree */
	uint64_t rootfs_size;
	char *exe;    /* the ELF file the kernel maps (guest path) */
	char **entry; /* argv before the args (the script chain's) */
	size_t nentry;
	char **path_dirs; /* directories the guest's PATH must list */
	size_t npath_dirs;
	struct manifest m; /* its configuration (no files) */
	char rootfs_path[4096];
};

/*
 * store_find - the image `ref` (NAME[:TAG], sha256:HEX or a prefix of
 * HEX of at least 6 digits) into `img`: 1 when found, 0 when the store has
 * no such image (or no store), -1 with `err` when it is damaged (its
 * configuration's digest is wrong or it cannot be read).
 */
int store_find(const char *ref, struct store_image *img, char *err, size_t errlen);
/*
 * store_copy_rootfs - copy the image's packed tree to `fd`, checking its
 * size and sha256 against the configuration's as it goes: 0, or -1 with
 * `err` (a corrupt or truncated image is never booted).
 */
int store_copy_rootfs(const struct store_image *img, int fd, char *err, size_t errlen);
void store_image_free(struct store_image *img);

/* store_run.c */

/* What `monos run -f FILE` or `monos run IMAGE` runs. */
struct store_run {
	bool image; /* IMAGE: boot img's tree; else -f: pack as usual */
	struct store_image img;
	struct manifest m; /* -f: the manifest */
	char **argv;	   /* the program's argv (strings owned by img, m or the caller) */
	int argc;
};

/*
 * store_run_layer - after options_parse_run() of `argc`/`argv` into `o`:
 * when -f names a manifest, or PROGRAM names an image of the store, rebuild
 * `o` as defaults < manifest (or the image's configuration) < command line
 * and point o->argv at the program's argv.  Returns 1 then, 0 for a plain
 * run (o untouched), -1 with `err`.  Call store_run_free() in every case.
 */
int store_run_layer(int argc, char **argv, struct run_options *o, struct store_run *sr, char *err,
		    size_t errlen);
/*
 * store_run_write - an image run's archives into `w` (at offset 0): the
 * image's tree, checked against its digest as it is copied, any --file
 * given, then the per-run archive.  0 or -errno with w->err.
 */
int store_run_write(struct image_writer *w, const struct run_options *o, const struct store_run *sr,
		    const char *cwd);
void store_run_free(struct store_run *sr);

/* main.c */

extern const char main_help[];

#endif
