/*
 * The OCI runtime (`monos-runtime`, design.md contract 24): declarations
 * shared by cli/oci_*.c and cli/cmd_runtime*.c, one section per file.
 *
 * oci_config.c reads a bundle's config.json (OCI runtime-spec 1.0) into
 * the `monos run` model: the arguments `monos run` would take for it,
 * parsed by options_parse_run() into a struct run_options, so a container
 * and a `monos run` go through one set of checks; plus what only a
 * container has (hooks, the network namespace to join, the console).
 */
#ifndef MONOS_CLI_OCI_H
#define MONOS_CLI_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

/* oci_config.c */

#define OCI_CONFIG_FILE	     "config.json"
#define OCI_CONFIG_MAX	     (4u << 20) /* bytes of config.json read at most */
#define OCI_MAX_RUN_ARGS     4096	/* `monos run` arguments a config may make */
#define OCI_MAX_RLIMITS	     16		/* RLIMIT_CPU..RLIMIT_RTTIME: Linux's RLIM_NLIMITS */
#define OCI_HOOK_TIMEOUT_MAX 3600	/* seconds: a larger timeout is refused */

/* One process.rlimits entry (type as Linux's RLIMIT_* number). */
struct oci_rlimit {
	int resource;
	uint64_t soft, hard;
};

/* The hook points of runtime-spec 1.0 config.md "POSIX-platform Hooks"
 * that run in the runtime's namespace (the others run inside the
 * container, which is a virtual machine here: they are refused). */
enum oci_hook_point {
	OCI_HOOK_PRESTART, /* deprecated, run as createRuntime is */
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK_POINTS
};

struct oci_hook {
	char *path;  /* absolute */
	char **args; /* NULL terminated; args[0] from the config, or path */
	char **env;  /* NULL terminated, may be empty */
	int timeout; /* seconds; 0: none */
};

/* One mounts entry, as given. */
struct oci_mount {
	char *destination; /* absolute */
	char *type;	   /* "" if absent */
	char *source;	   /* "" if absent; bind sources made absolute (bundle-relative) */
	bool bind;	   /* type bind, or a bind/rbind option */
	bool ro;	   /* an "ro" option (the last of ro/rw wins) */
};

struct oci_config {
	char *bundle;		/* absolute */
	char **args;		/* process.args (NULL terminated) */
	char *exe;		/* oci_bundle_args: args[0] found in the rootfs (a guest path) */
	char **env;		/* process.env, each "NAME=VALUE" (NULL terminated) */
	uint32_t uid, gid;	/* process.user */
	char *groups;		/* process.user.additionalGids: "G1,G2,..." or NULL */
	uint64_t memory;	/* linux.resources.memory.limit; 0: none */
	char **run_args;	/* the `monos run` arguments this config means (NULL ended) */
	int run_argc;		/* ... ending "--" PROGRAM ARGS */
	struct run_options run; /* run_args parsed by options_parse_run() */
	char *rootfs;		/* root.path, absolute (relative ones: to the bundle) */
	bool readonly;		/* root.readonly */
	char *cwd;		/* process.cwd (absolute) */
	char *hostname;		/* NULL: none given */
	bool terminal;		/* process.terminal: the console socket gets a pty */
	struct oci_mount *mounts;
	size_t nmounts;
	struct oci_rlimit rlimits[OCI_MAX_RLIMITS];
	size_t nrlimits;
	char *netns;	      /* the network namespace to join, NULL: see oci_config.c */
	bool host_network;    /* no network namespace: the host's network */
	char net_tap[16];     /* oci_net_join: the tap made in the namespace, "" if none */
	char net_ip[32];      /* ... eth0's "ADDR/PREFIX" */
	char net_gateway[16]; /* ... the default route's gateway, "" if none */
	char net_mac[18];     /* ... eth0's MAC address, given to the guest's NIC */
	struct oci_hook *hooks[OCI_HOOK_POINTS];
	size_t nhooks[OCI_HOOK_POINTS];
	bool sandbox; /* a Pod's sandbox (infra, pause) container: oci_pod.c */
};

/*
 * oci_config_parse - read the @len bytes of config.json at @text for the
 * bundle directory @bundle (absolute) into @c: every field monos reads,
 * checked for type and range.  Returns 0, or -1 with one line in @err
 * saying what is wrong, in runc's style (no prefix): text that is not JSON
 * (with its line and column), a missing or mistyped required field, a
 * value out of range, a feature monos cannot honour (a hook that runs
 * inside the container, user namespace mappings, a mount type the guest
 * does not have).  Unknown fields are ignored, as runc ignores them.
 * Touches no file.  The caller MUST call oci_config_free() afterwards, on
 * success or failure.
 */
int oci_config_parse(const char *text, size_t len, const char *bundle, struct oci_config *c,
		     char *err, size_t errlen);

/* What is being read, and where its error goes (oci_config.c, oci_bundle.c). */
struct oci_ctx {
	struct oci_config *c;
	char *err;
	size_t errlen;
};

/* oci_config_fail - write the message into x->err; returns -1. */
int oci_config_fail(struct oci_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct json_alloc;
/* oci_json_malloc - lib/json's allocator on malloc, for the runtime's files. */
extern const struct json_alloc oci_json_malloc;

/* oci_config_free - release everything of @c (harmless twice). */
void oci_config_free(struct oci_config *c);
/* oci_process_parse - a process object alone (runc exec's --process
 * file: config.json's "process") into @c's args, env, cwd, user, terminal
 * and rlimits, checked as oci_config_parse checks them.  0, or -1 with one
 * line in @err; oci_config_free() afterwards in either case. */
int oci_process_parse(const char *text, size_t len, struct oci_config *c, char *err, size_t errlen);

/* oci_rlimit_name - "RLIMIT_NOFILE" for RLIMIT_NOFILE, NULL if unknown. */
const char *oci_rlimit_name(int resource);
#define OCI_ULIMIT_NAME 16 /* bytes of the longest, "sigpending", and more */
/* oci_rlimit_ulimit - docker's --ulimit name of @resource ("nofile") into
 * @out; "" if unknown. */
void oci_rlimit_ulimit(int resource, char out[OCI_ULIMIT_NAME]);

/* oci_bundle.c */

/*
 * oci_bundle_args - make @c's `monos run` arguments (c->run_args) and parse
 * them into c->run: looks at the files (the rootfs is a directory, a bind
 * mount's source is a directory, shared, or a file, copied).  0, or -1
 * with one line in @err.
 */
int oci_bundle_args(struct oci_config *c, char *err, size_t errlen);

/* oci_bundle_slurp - the file at @path, at most @max bytes, malloc'd (one
 * byte more of room) with its length in *@len; NULL with errno set
 * (EFBIG when it is larger). */
char *oci_bundle_slurp(const char *path, size_t max, size_t *len);

/*
 * oci_bundle_read - read @bundle/config.json and oci_config_parse() it.
 * 0, or -1 with one line in @err ("JSON specification file ... not found").
 */
int oci_bundle_read(const char *bundle, struct oci_config *c, char *err, size_t errlen);

/* oci_net.c */

#define OCI_NET_TAP "monos-tap0" /* the tap made in a container's namespace */

/*
 * oci_net_join - enter @c's network namespace (this process, and so the
 * monitor and QEMU it forks) and, if it has an interface with an IPv4
 * address, make the tap mirrored to it and fill c->net_tap, net_ip and
 * net_gateway for oci_bundle_args().  Nothing without c->netns.  0, or -1
 * with one line in @err.
 */
int oci_net_join(struct oci_config *c, const char *id, char *err, size_t errlen);
/* oci_net_leave - remove the tap of the namespace at @netns, if any. */
void oci_net_leave(const char *netns);

/* oci_pod.c: a Pod's sandbox, which boots no VM (a pause process) */

struct json_node;
/* oci_pod_is_sandbox - whether config.json's @root (with process.args
 * @args) is a Pod's sandbox: annotated so by CRI, or podman's or
 * Kubernetes' pause program. */
bool oci_pod_is_sandbox(const struct json_node *root, char *const *args);
/* oci_pod_pause_spawn - fork the sandbox's pause process (in this
 * process's namespaces, its own session, stdio on /dev/null; exits 0 on
 * SIGINT or SIGTERM, ignores other signals but SIGKILL): its pid, or -1. */
pid_t oci_pod_pause_spawn(void);
/* oci_pod_pause_alive - whether @pid lives (a zombie has ended). */
bool oci_pod_pause_alive(pid_t pid);
/* oci_pod_pause_end - SIGKILL @pid and wait (up to 5 s) until it has ended. */
void oci_pod_pause_end(pid_t pid);

/* cmd_runtime.c: the command line and the log */

#define OCI_SPEC_VERSION     "1.0.2" /* the runtime-spec release this follows */
#define RUNTIME_DEFAULT_ROOT "/run/monos-runtime"

/* The global options, as given. */
struct runtime_global {
	const char *root; /* --root: the state directory */
	const char *log;  /* --log FILE; NULL: stderr */
	bool log_json;	  /* --log-format json */
	bool debug;	  /* --debug */
};
extern struct runtime_global cmd_runtime_g;

/* cmd_runtime_main - `monos-runtime ARGS` (argv[0] is the program's name). */
int cmd_runtime_main(int argc, char **argv);
/* cmd_runtime_fail - report an error as runc does (the log, and stderr
 * when the log is a file); returns 1, runc's exit status for errors. */
int cmd_runtime_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cmd_runtime_debug - a debug line in the log under --debug. */
void cmd_runtime_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cmd_runtime_flag - the value of flag @name at argv[*i] (-name, --name,
 * VALUE next or after '='), advancing *i past it; NULL if argv[*i] is not
 * it (*@missing set when its value is). */
const char *cmd_runtime_flag(int argc, char **argv, int *i, const char *name, bool *missing);
/* cmd_runtime_quote - @s as a JSON string on @f (quotes, escapes). */
void cmd_runtime_quote(FILE *f, const char *s);
/* cmd_runtime_switch - whether @a is the flag --@name (-@name, -@shrt). */
bool cmd_runtime_switch(const char *a, const char *name, char shrt);

/* cmd_runtime_state.c: the state directory and the read-only commands */

#define RUNTIME_STATE_FILE "state.json"	  /* ours, in ROOT/ID */
#define RUNTIME_CONFIG	   "config.json"  /* the bundle's, copied at create */
#define RUNTIME_LOCK	   "runtime.lock" /* flock: one command at a time */
#define RUNTIME_PATH_MAX   4096

/* One container's state (runtime-spec's "state" plus where it lives). */
struct runtime_state {
	char id[256];
	char dir[RUNTIME_PATH_MAX]; /* ROOT/ID */
	char bundle[RUNTIME_PATH_MAX];
	char rootfs[RUNTIME_PATH_MAX];
	int64_t created_ns; /* CLOCK_REALTIME at create */
	long pid;	    /* the monitor's; 0 once stopped */
	char status[16];    /* creating, created, running, stopped */
	int exit_status;    /* once stopped: the program's; -1: unknown */
	bool sandbox;	    /* a Pod's sandbox: pid is its pause process, no monitor */
};

/* cmd_runtime_state_dir - ROOT/@id into @dir, @id checked as runc checks
 * it: 0, or 1 with the error reported. */
int cmd_runtime_state_dir(const char *id, char *dir, size_t n);
/* cmd_runtime_state_load - @id's state, its status asked of its monitor
 * (stopped without one): 0, or 1 with "container X does not exist". */
int cmd_runtime_state_load(const char *id, struct runtime_state *s);
/* cmd_runtime_state_save - write @s's state file atomically: 0 or 1. */
int cmd_runtime_state_save(const struct runtime_state *s);
/* cmd_runtime_state_lock - take ROOT/ID's lock (blocking): the fd, or -1. */
int cmd_runtime_state_lock(const char *dir);
/* cmd_runtime_state_json - @s as runc prints it: indented (state) or on
 * one line (list --format json). */
void cmd_runtime_state_json(FILE *f, const struct runtime_state *s, bool indent);
/* The read-only commands: the arguments after the command's name. */
int cmd_runtime_state_show(int argc, char **argv);
int cmd_runtime_state_list(int argc, char **argv);
int cmd_runtime_state_features(int argc, char **argv);

/* cmd_runtime_life.c: the commands that change a container */
int cmd_runtime_life_create(int argc, char **argv);
int cmd_runtime_life_start(int argc, char **argv);
int cmd_runtime_life_kill(int argc, char **argv);
int cmd_runtime_life_delete(int argc, char **argv);
/* cmd_runtime_life_console - a pseudo-terminal whose master goes to the
 * caller through the console socket at @sock_path (runc's way): the
 * slave's fd, or -1 (reported).  create's, and exec's with --tty. */
int cmd_runtime_life_console(const char *sock_path);

/* cmd_runtime_exec.c: runc's exec */
int cmd_runtime_exec(int argc, char **argv);

#endif
