/*
 * cloud-init's NoCloud configuration model: what the three files of a seed
 * (meta-data, user-data, network-config; from an ISO 9660 or vfat disk
 * labelled "cidata", or over HTTP) say, parsed and checked, in one struct
 * for the kernel's init to apply before the program starts (design.md
 * contract 22: cloud-init is one source of an instance's configuration).
 *
 * Supported:
 *  - meta-data: instance-id, local-hostname.
 *  - user-data, when it starts with "#cloud-config" (gzip-compressed
 *    user-data is decompressed first, as cloud-init does): hostname, fqdn,
 *    manage_etc_hosts, write_files (path, content, encoding text, b64 or
 *    gz+b64 in cloud-init's spellings, permissions, owner "user:group",
 *    append, defer) and mounts (cloud-init's six-field lists, missing
 *    fields filled with its defaults).  A user-data that is a "#!" script
 *    is recorded as one (running it needs processes: later).
 *  - network-config version 2 (netplan), at the top level or under
 *    "network:": ethernets with match (macaddress, name), set-name, dhcp4,
 *    IPv4 addresses, gateway4, routes (to default or a prefix, via, metric),
 *    nameservers (addresses, search), mtu.
 *
 * As cloud-init does, keys it does not know (and keys monos does not
 * support: runcmd, users, IPv6, version 1 configs...) are skipped with a
 * note through the caller's callback; a value of the wrong type or form
 * is an error that names the file, the key and the line.  A file with an
 * error contributes nothing; the other files still count ("the instance
 * boots with what could be read").
 *
 * Strings point into memory the struct owns until cloudinit_free().  The
 * struct is about 8 KiB: allocate it, never put it on a kernel stack.
 */
#ifndef LIB_CLOUDINIT_H
#define LIB_CLOUDINIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lib/yaml.h>

#define CLOUDINIT_MAX_FILES	  64
#define CLOUDINIT_MAX_MOUNTS	  16
#define CLOUDINIT_MAX_ETHERNETS	  8
#define CLOUDINIT_MAX_ADDRESSES	  8
#define CLOUDINIT_MAX_ROUTES	  8
#define CLOUDINIT_MAX_NAMESERVERS 4
#define CLOUDINIT_MAX_SEARCH	  6
#define CLOUDINIT_MAX_CONTENT	  (4u << 20) /* bytes of one decoded write_files content */
#define CLOUDINIT_DEFAULT_MODE	  0644	     /* cloud-init's write_files default */
#define CLOUDINIT_MOUNT_FIELDS	  6

enum cloudinit_doc { CLOUDINIT_META, CLOUDINIT_USER, CLOUDINIT_NETWORK, CLOUDINIT_NDOCS };

enum cloudinit_user_kind {
	CLOUDINIT_USER_NONE,	     /* no user-data, or an empty one */
	CLOUDINIT_USER_CLOUD_CONFIG, /* "#cloud-config" */
	CLOUDINIT_USER_SCRIPT,	     /* "#!": in user_script, not run yet */
	CLOUDINIT_USER_UNSUPPORTED,  /* #include, MIME multi-part, boothooks... */
};

enum cloudinit_hosts {
	CLOUDINIT_HOSTS_UNSET,
	CLOUDINIT_HOSTS_FALSE,
	CLOUDINIT_HOSTS_TRUE,	   /* true or "template": /etc/hosts from the names */
	CLOUDINIT_HOSTS_LOCALHOST, /* "localhost" */
};

struct cloudinit_file {
	const char *path;
	const uint8_t *content; /* decoded */
	size_t len;
	uint32_t mode;	   /* CLOUDINIT_DEFAULT_MODE unless permissions said */
	const char *owner; /* "root:root" unless said */
	bool append, defer;
};

/* A mounts entry: device, mount point, type, options, dump, pass. */
struct cloudinit_mount {
	const char *field[CLOUDINIT_MOUNT_FIELDS];
	bool remove; /* the mount point was null: cloud-init removes the entry */
};

struct cloudinit_ipv4 {
	uint32_t addr; /* host byte order */
	uint8_t prefix;
};

struct cloudinit_route {
	struct cloudinit_ipv4 to; /* "default" is 0.0.0.0/0 */
	uint32_t via;
	int64_t metric; /* -1 if not given */
};

struct cloudinit_ethernet {
	const char *id;		/* the key under ethernets */
	const char *match_mac;	/* NULL if not matched by MAC */
	const char *match_name; /* NULL if not matched by name */
	const char *set_name;	/* NULL if none */
	bool dhcp4;
	struct cloudinit_ipv4 addresses[CLOUDINIT_MAX_ADDRESSES];
	unsigned naddresses;
	uint32_t gateway4; /* 0 if none */
	struct cloudinit_route routes[CLOUDINIT_MAX_ROUTES];
	unsigned nroutes;
	uint32_t nameservers[CLOUDINIT_MAX_NAMESERVERS];
	unsigned nnameservers;
	const char *search[CLOUDINIT_MAX_SEARCH];
	unsigned nsearch;
	int64_t mtu; /* 0 if not given */
};

/* Called once for each key skipped, with a line such as
 * "user-data: line 7, column 1: runcmd: not supported, skipped". */
typedef void (*cloudinit_note_fn)(void *ctx, const char *msg);

struct cloudinit_block;

struct cloudinit {
	/* meta-data */
	const char *instance_id, *local_hostname;
	/* user-data */
	enum cloudinit_user_kind user_kind;
	const char *user_script; /* the "#!" script's text */
	size_t user_script_len;
	const char *hostname, *fqdn;
	enum cloudinit_hosts manage_etc_hosts;
	struct cloudinit_file files[CLOUDINIT_MAX_FILES];
	unsigned nfiles;
	struct cloudinit_mount mounts[CLOUDINIT_MAX_MOUNTS];
	unsigned nmounts;
	/* network-config */
	int net_version; /* 2 if a version 2 config was read, else 0 */
	struct cloudinit_ethernet ethernets[CLOUDINIT_MAX_ETHERNETS];
	unsigned nethernets;
	/* Each file's result: 0, or the -errno that made it count for nothing,
	 * with its error in errors[] ("line 3, column 5: hostname: ..."). */
	int rc[CLOUDINIT_NDOCS];
	struct yaml_error errors[CLOUDINIT_NDOCS];
	/* private */
	struct yaml_alloc alloc;
	struct yaml_tree trees[CLOUDINIT_NDOCS];
	struct cloudinit_block *blocks;
	cloudinit_note_fn note;
	void *note_ctx;
};

/* The files of a seed; a NULL text is a file that is absent. */
struct cloudinit_seed {
	const char *text[CLOUDINIT_NDOCS];
	size_t len[CLOUDINIT_NDOCS];
};

/*
 * cloudinit_parse - fill @ci from @seed, with memory from @alloc and notes
 * for skipped keys to @note (may be NULL).  Returns 0 if every file present
 * was read; else the first file's error (-EINVAL for a malformed file or a
 * wrong value, -E2BIG past a limit, -ENOMEM), with ci->rc[] and
 * ci->errors[] telling each file's story and the good files filled in.
 * cloudinit_free() must be called either way.
 */
int cloudinit_parse(struct cloudinit *ci, const struct cloudinit_seed *seed,
		    const struct yaml_alloc *alloc, cloudinit_note_fn note, void *note_ctx);

/* cloudinit_free - give back what @ci holds; its strings are gone. */
void cloudinit_free(struct cloudinit *ci);

/* cloudinit_doc_name - "meta-data", "user-data" or "network-config". */
const char *cloudinit_doc_name(enum cloudinit_doc doc);

/* Private to cloudinit.c and cloudinit_net.c. */
int cloudinit_network(struct cloudinit *ci, const struct yaml_node *root, struct yaml_error *err);
void cloudinit_note(struct cloudinit *ci, enum cloudinit_doc doc, const struct yaml_node *at,
		    const char *key, const char *why);
int cloudinit_string(const struct yaml_node *n, const char *key, const char **out,
		     struct yaml_error *err);
int cloudinit_expect(const struct yaml_node *n, enum yaml_kind kind, const char *key,
		     struct yaml_error *err);

#endif
