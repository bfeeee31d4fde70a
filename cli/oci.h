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
	char **env;		/* process.env, each "NAME=VALUE" (NULL terminated) */
	uint32_t uid, gid;	/* process.user */
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
	char *netns;	   /* the network namespace to join, NULL: see oci_config.c */
	bool host_network; /* no network namespace: the host's network */
	struct oci_hook *hooks[OCI_HOOK_POINTS];
	size_t nhooks[OCI_HOOK_POINTS];
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

/* oci_config_free - release everything of @c (harmless twice). */
void oci_config_free(struct oci_config *c);

/* oci_rlimit_name - "RLIMIT_NOFILE" for RLIMIT_NOFILE, NULL if unknown. */
const char *oci_rlimit_name(int resource);

/* oci_bundle.c */

/*
 * oci_bundle_args - make @c's `monos run` arguments (c->run_args) and parse
 * them into c->run: looks at the files (the rootfs is a directory, a bind
 * mount's source is a directory, shared, or a file, copied).  0, or -1
 * with one line in @err.
 */
int oci_bundle_args(struct oci_config *c, char *err, size_t errlen);

/*
 * oci_bundle_read - read @bundle/config.json, oci_config_parse() it, then
 * oci_bundle_args().  0, or -1 with one line in @err.
 */
int oci_bundle_read(const char *bundle, struct oci_config *c, char *err, size_t errlen);

#endif
