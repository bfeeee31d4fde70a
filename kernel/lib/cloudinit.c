/*
 * cloud-init NoCloud: meta-data and user-data into the model (contracts in
 * <lib/cloudinit.h>); network-config is in cloudinit_net.c.  Keys and
 * defaults follow cloud-init's documentation of its modules
 * (cc_set_hostname, cc_update_etc_hosts, cc_write_files, cc_mounts).
 */
#include <lib/base64.h>
#include <lib/cloudinit.h>
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/inflate.h>
#include <lib/string.h>

#define CI_NOTE_MAX	200
#define CI_GZIP_ISIZE	4  /* a gzip file ends with the data's length, 32 bits */
#define CI_GZIP_MIN	18 /* header 10, empty data, trailer 8 */
#define CI_CLOUD_CONFIG "#cloud-config"

/* Memory the model owns beyond the YAML trees: decoded contents. */
struct cloudinit_block {
	struct cloudinit_block *next;
	_Alignas(16) uint8_t data[];
};

static const char *const ci_doc_names[CLOUDINIT_NDOCS] = { "meta-data", "user-data",
							   "network-config" };

const char *cloudinit_doc_name(enum cloudinit_doc doc)
{
	return ci_doc_names[doc];
}

static void *ci_alloc(struct cloudinit *ci, size_t n)
{
	struct cloudinit_block *b = ci->alloc.alloc(ci->alloc.ctx, sizeof(*b) + n);

	if (!b)
		return NULL;
	b->next = ci->blocks;
	ci->blocks = b;
	return b->data;
}

void cloudinit_note(struct cloudinit *ci, enum cloudinit_doc doc, const struct yaml_node *at,
		    const char *key, const char *why)
{
	char msg[CI_NOTE_MAX];

	if (!ci->note)
		return;
	if (at)
		fmt_snprintf(msg, sizeof(msg), "%s: line %u, column %u: %s: %s", ci_doc_names[doc],
			     at->line, at->col, key, why);
	else
		fmt_snprintf(msg, sizeof(msg), "%s: %s: %s", ci_doc_names[doc], key, why);
	ci->note(ci->note_ctx, msg);
}

int cloudinit_expect(const struct yaml_node *n, enum yaml_kind kind, const char *key,
		     struct yaml_error *err)
{
	static const char *const names[] = { "null", "a string", "a list", "a mapping" };

	if (n->kind == kind)
		return 0;
	yaml_set_error(err, n, "%s: expected %s", key, names[kind]);
	return -EINVAL;
}

int cloudinit_string(const struct yaml_node *n, const char *key, const char **out,
		     struct yaml_error *err)
{
	if (n->kind == YAML_NULL) {
		*out = NULL;
		return 0;
	}
	if (cloudinit_expect(n, YAML_SCALAR, key, err))
		return -EINVAL;
	*out = n->str;
	return 0;
}

/* ---------------------------------------------------------------- meta-data */

static int ci_meta(struct cloudinit *ci, const struct yaml_node *root, struct yaml_error *err)
{
	if (cloudinit_expect(root, YAML_MAP, "meta-data", err))
		return -EINVAL;
	for (const struct yaml_entry *e = root->entries; e; e = e->next) {
		const char *k = e->key->str;

		if (!strcmp(k, "instance-id")) {
			if (cloudinit_string(e->value, k, &ci->instance_id, err))
				return -EINVAL;
		} else if (!strcmp(k, "local-hostname")) {
			if (cloudinit_string(e->value, k, &ci->local_hostname, err))
				return -EINVAL;
		} else {
			cloudinit_note(ci, CLOUDINIT_META, e->key, k, "not used, skipped");
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- write_files */

enum ci_encoding { CI_TEXT, CI_B64, CI_GZ_B64 };

/* cloud-init's spellings of the encodings (cc_write_files.canonicalize_extraction). */
static int ci_encoding(const struct yaml_node *n, enum ci_encoding *enc, struct yaml_error *err)
{
	static const char *const b64[] = { "b64", "base64", NULL };
	static const char *const gzb64[] = { "gz+b64", "gz+base64", "gzip+b64", "gzip+base64",
					     NULL };

	*enc = CI_TEXT;
	if (yaml_is(n, "text/plain") || yaml_is(n, "text"))
		return 0;
	for (int i = 0; b64[i]; i++)
		if (yaml_is(n, b64[i]))
			return *enc = CI_B64, 0;
	for (int i = 0; gzb64[i]; i++)
		if (yaml_is(n, gzb64[i]))
			return *enc = CI_GZ_B64, 0;
	yaml_set_error(err, n, "write_files: encoding: expected text, b64 or gz+b64");
	return -EINVAL;
}

/* Decompress gzip data @z (@zlen bytes) into memory of the model. */
static int ci_gunzip(struct cloudinit *ci, const uint8_t *z, size_t zlen, const uint8_t **out,
		     size_t *len)
{
	const uint8_t *t;
	uint32_t isize;
	uint8_t *buf;
	long n;

	if (zlen < CI_GZIP_MIN)
		return -EINVAL;
	t = z + zlen - CI_GZIP_ISIZE; /* the last member's length: all of it, for one member */
	isize = t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
	if (isize > CLOUDINIT_MAX_CONTENT)
		return -E2BIG;
	buf = ci_alloc(ci, isize ? isize : 1);
	if (!buf)
		return -ENOMEM;
	n = inflate_gzip(z, zlen, buf, isize);
	if (n < 0)
		return (int)n;
	*out = buf;
	*len = (size_t)n;
	return 0;
}

/* Decode @content (a string) as @enc into f->content. */
static int ci_decode(struct cloudinit *ci, struct cloudinit_file *f,
		     const struct yaml_node *content, enum ci_encoding enc, struct yaml_error *err)
{
	size_t cap = content->len / 4 * 3 + 3;
	uint8_t *raw;
	long n;
	int rc;

	if (enc == CI_TEXT) {
		f->content = (const uint8_t *)content->str;
		f->len = content->len;
		return 0;
	}
	raw = ci_alloc(ci, cap);
	if (!raw)
		return -ENOMEM;
	n = base64_decode(content->str, content->len, raw, cap);
	if (n < 0) {
		yaml_set_error(err, content, "write_files: content: not base64");
		return -EINVAL;
	}
	if (enc == CI_B64) {
		f->content = raw;
		f->len = (size_t)n;
		return 0;
	}
	rc = ci_gunzip(ci, raw, (size_t)n, &f->content, &f->len);
	if (rc == -EINVAL)
		yaml_set_error(err, content, "write_files: content: not gzip data");
	else if (rc == -E2BIG)
		yaml_set_error(err, content,
			       "write_files: content: larger than %u bytes once "
			       "decompressed",
			       CLOUDINIT_MAX_CONTENT);
	return rc;
}

/* One key of a write_files entry other than content and encoding. */
static int ci_file_key(struct cloudinit *ci, struct cloudinit_file *f, const struct yaml_entry *e,
		       struct yaml_error *err)
{
	const char *k = e->key->str;

	if (!strcmp(k, "path"))
		return cloudinit_string(e->value, "write_files: path", &f->path, err);
	if (!strcmp(k, "owner"))
		return cloudinit_string(e->value, "write_files: owner", &f->owner, err);
	if (!strcmp(k, "permissions")) {
		if (yaml_mode(e->value, &f->mode) == 0)
			return 0;
		yaml_set_error(err, e->value,
			       "write_files: permissions: expected an octal mode "
			       "such as '0644'");
		return -EINVAL;
	}
	if (!strcmp(k, "append") || !strcmp(k, "defer")) {
		if (yaml_bool_loose(e->value, k[0] == 'a' ? &f->append : &f->defer) == 0)
			return 0;
		yaml_set_error(err, e->value, "write_files: %s: expected true or false", k);
		return -EINVAL;
	}
	if (strcmp(k, "content") && strcmp(k, "encoding"))
		cloudinit_note(ci, CLOUDINIT_USER, e->key, k,
			       !strcmp(k, "source") ? "not supported, skipped"
						    : "unknown, skipped");
	return 0;
}

static int ci_write_file(struct cloudinit *ci, const struct yaml_node *n, struct yaml_error *err)
{
	struct cloudinit_file *f = &ci->files[ci->nfiles];
	const struct yaml_node *content = yaml_get(n, "content"),
			       *enc_node = yaml_get(n, "encoding");
	enum ci_encoding enc = CI_TEXT;
	int rc;

	if (cloudinit_expect(n, YAML_MAP, "write_files entry", err))
		return -EINVAL;
	if (ci->nfiles == CLOUDINIT_MAX_FILES) {
		yaml_set_error(err, n, "write_files: more than %d files", CLOUDINIT_MAX_FILES);
		return -E2BIG;
	}
	memset(f, 0, sizeof(*f));
	f->mode = CLOUDINIT_DEFAULT_MODE;
	for (const struct yaml_entry *e = n->entries; e; e = e->next)
		if ((rc = ci_file_key(ci, f, e, err)))
			return rc;
	if (!f->path || !f->path[0]) {
		yaml_set_error(err, n, "write_files: an entry without a path");
		return -EINVAL;
	}
	if (!f->owner)
		f->owner = "root:root";
	if (enc_node && enc_node->kind != YAML_NULL && (rc = ci_encoding(enc_node, &enc, err)))
		return rc;
	f->content = (const uint8_t *)"";
	if (content && content->kind != YAML_NULL) {
		if (cloudinit_expect(content, YAML_SCALAR, "write_files: content", err))
			return -EINVAL;
		if ((rc = ci_decode(ci, f, content, enc, err)))
			return rc;
	}
	ci->nfiles++;
	return 0;
}

/* ---------------------------------------------------------------- mounts */

/* cloud-init's defaults for a mounts entry's missing fields (cc_mounts'
 * mount_default_fields, without its systemd-only options). */
static const char *const ci_mount_defaults[CLOUDINIT_MOUNT_FIELDS] = { NULL,   NULL,
								       "auto", "defaults,nofail",
								       "0",    "2" };

static int ci_mount(struct cloudinit *ci, const struct yaml_node *n, struct yaml_error *err)
{
	struct cloudinit_mount *m = &ci->mounts[ci->nmounts];
	unsigned i = 0;

	if (cloudinit_expect(n, YAML_SEQ, "mounts entry", err))
		return -EINVAL;
	if (n->count < 1 || n->count > CLOUDINIT_MOUNT_FIELDS) {
		yaml_set_error(err, n, "mounts: an entry has 1 to 6 fields");
		return -EINVAL;
	}
	if (ci->nmounts == CLOUDINIT_MAX_MOUNTS) {
		yaml_set_error(err, n, "mounts: more than %d entries", CLOUDINIT_MAX_MOUNTS);
		return -E2BIG;
	}
	memcpy(m->field, ci_mount_defaults, sizeof(m->field));
	for (const struct yaml_entry *e = n->entries; e; e = e->next, i++) {
		const char *v;

		if (cloudinit_string(e->value, "mounts: field", &v, err))
			return -EINVAL;
		if (v)
			m->field[i] = v;
	}
	if (!m->field[0]) {
		yaml_set_error(err, n, "mounts: an entry without a device");
		return -EINVAL;
	}
	m->remove = !m->field[1];
	ci->nmounts++;
	return 0;
}

/* ---------------------------------------------------------------- #cloud-config */

/* Apply @fn to every item of list @n (the value of key @key). */
static int ci_each(struct cloudinit *ci, const struct yaml_node *n, const char *key,
		   int (*fn)(struct cloudinit *, const struct yaml_node *, struct yaml_error *),
		   struct yaml_error *err)
{
	int rc;

	if (n->kind == YAML_NULL)
		return 0;
	if (cloudinit_expect(n, YAML_SEQ, key, err))
		return -EINVAL;
	for (const struct yaml_entry *e = n->entries; e; e = e->next)
		if ((rc = fn(ci, e->value, err)))
			return rc;
	return 0;
}

static int ci_etc_hosts(struct cloudinit *ci, const struct yaml_node *n, struct yaml_error *err)
{
	bool b;

	if (yaml_bool_loose(n, &b) == 0 || yaml_is(n, "template")) {
		ci->manage_etc_hosts =
			yaml_is(n, "template") || b ? CLOUDINIT_HOSTS_TRUE : CLOUDINIT_HOSTS_FALSE;
		return 0;
	}
	if (yaml_is(n, "localhost")) {
		ci->manage_etc_hosts = CLOUDINIT_HOSTS_LOCALHOST;
		return 0;
	}
	yaml_set_error(err, n, "manage_etc_hosts: expected true, false, template or localhost");
	return -EINVAL;
}

/* Keys cloud-init has that monos does not apply (yet): named in the note. */
static const char *const ci_unsupported[] = { "runcmd",
					      "bootcmd",
					      "packages",
					      "package_update",
					      "package_upgrade",
					      "users",
					      "groups",
					      "ssh_authorized_keys",
					      "ssh_pwauth",
					      "chpasswd",
					      "password",
					      "timezone",
					      "ntp",
					      "apt",
					      "yum_repos",
					      "snap",
					      "final_message",
					      "phone_home",
					      "power_state",
					      "disk_setup",
					      "fs_setup",
					      "growpart",
					      "resize_rootfs",
					      "ca_certs",
					      "locale",
					      "preserve_hostname",
					      "prefer_fqdn_over_hostname",
					      "swap",
					      "mount_default_fields",
					      "ssh_keys",
					      NULL };

static int ci_cloud_config_key(struct cloudinit *ci, const struct yaml_entry *e,
			       struct yaml_error *err)
{
	const char *k = e->key->str;

	if (!strcmp(k, "hostname"))
		return cloudinit_string(e->value, k, &ci->hostname, err);
	if (!strcmp(k, "fqdn"))
		return cloudinit_string(e->value, k, &ci->fqdn, err);
	if (!strcmp(k, "manage_etc_hosts"))
		return ci_etc_hosts(ci, e->value, err);
	if (!strcmp(k, "write_files"))
		return ci_each(ci, e->value, k, ci_write_file, err);
	if (!strcmp(k, "mounts"))
		return ci_each(ci, e->value, k, ci_mount, err);
	for (int i = 0; ci_unsupported[i]; i++)
		if (!strcmp(k, ci_unsupported[i])) {
			cloudinit_note(ci, CLOUDINIT_USER, e->key, k, "not supported, skipped");
			return 0;
		}
	cloudinit_note(ci, CLOUDINIT_USER, e->key, k, "unknown, skipped");
	return 0;
}

static int ci_cloud_config(struct cloudinit *ci, const struct yaml_node *root,
			   struct yaml_error *err)
{
	int rc;

	if (cloudinit_expect(root, YAML_MAP, "#cloud-config", err))
		return -EINVAL;
	for (const struct yaml_entry *e = root->entries; e; e = e->next)
		if ((rc = ci_cloud_config_key(ci, e, err)))
			return rc;
	return 0;
}

/* ---------------------------------------------------------------- the seed */

static bool ci_starts(const char *text, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(text, prefix, n);
}

/* Parse @len bytes of YAML into the tree of document @doc; its root, or
 * NULL for an empty document (then *@rc is 0). */
static const struct yaml_node *ci_yaml(struct cloudinit *ci, enum cloudinit_doc doc,
				       const char *text, size_t len, int *rc)
{
	*rc = yaml_parse(text, len, &ci->alloc, NULL, &ci->trees[doc], &ci->errors[doc]);
	if (*rc)
		return NULL;
	return yaml_root(&ci->trees[doc]);
}

/* Blank text only. */
static bool ci_blank(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
			return false;
	return true;
}

/* user-data: its kind from its first line (cloud-init's
 * user_data.py), then, for #cloud-config, its keys. */
static int ci_user(struct cloudinit *ci, const char *text, size_t len)
{
	struct yaml_error *err = &ci->errors[CLOUDINIT_USER];
	const struct yaml_node *root;
	int rc;

	if (len >= 2 && (uint8_t)text[0] == 0x1f && (uint8_t)text[1] == 0x8b) {
		const uint8_t *plain;
		size_t plen;

		rc = ci_gunzip(ci, (const uint8_t *)text, len, &plain, &plen);
		if (rc) {
			yaml_set_error(err, NULL,
				       "gzip-compressed user-data is malformed or too big");
			return rc;
		}
		text = (const char *)plain;
		len = plen;
	}
	if (ci_blank(text, len))
		return 0;
	if (ci_starts(text, len, "#!")) {
		ci->user_kind = CLOUDINIT_USER_SCRIPT;
		ci->user_script = text;
		ci->user_script_len = len;
		return 0;
	}
	if (!ci_starts(text, len, CI_CLOUD_CONFIG)) {
		ci->user_kind = CLOUDINIT_USER_UNSUPPORTED;
		cloudinit_note(ci, CLOUDINIT_USER, NULL, "user-data",
			       "neither #cloud-config nor a #! script: not supported, skipped");
		return 0;
	}
	ci->user_kind = CLOUDINIT_USER_CLOUD_CONFIG;
	root = ci_yaml(ci, CLOUDINIT_USER, text, len, &rc);
	return rc || !root || root->kind == YAML_NULL ? rc : ci_cloud_config(ci, root, err);
}

/* Forget what a file with an error had filled in. */
static void ci_reset(struct cloudinit *ci, enum cloudinit_doc doc)
{
	if (doc == CLOUDINIT_META) {
		ci->instance_id = ci->local_hostname = NULL;
	} else if (doc == CLOUDINIT_USER) {
		ci->user_kind = CLOUDINIT_USER_NONE;
		ci->user_script = ci->hostname = ci->fqdn = NULL;
		ci->user_script_len = 0;
		ci->manage_etc_hosts = CLOUDINIT_HOSTS_UNSET;
		ci->nfiles = ci->nmounts = 0;
	} else {
		ci->net_version = 0;
		ci->nethernets = 0;
	}
}

static int ci_doc(struct cloudinit *ci, enum cloudinit_doc doc, const char *text, size_t len)
{
	const struct yaml_node *root;
	int rc;

	if (doc == CLOUDINIT_USER)
		return ci_user(ci, text, len);
	root = ci_yaml(ci, doc, text, len, &rc);
	if (rc || !root || root->kind == YAML_NULL)
		return rc;
	if (doc == CLOUDINIT_META)
		return ci_meta(ci, root, &ci->errors[doc]);
	return cloudinit_network(ci, root, &ci->errors[doc]);
}

int cloudinit_parse(struct cloudinit *ci, const struct cloudinit_seed *seed,
		    const struct yaml_alloc *alloc, cloudinit_note_fn note, void *note_ctx)
{
	int first = 0;

	memset(ci, 0, sizeof(*ci));
	ci->alloc = *alloc;
	ci->note = note;
	ci->note_ctx = note_ctx;
	for (int doc = 0; doc < CLOUDINIT_NDOCS; doc++) {
		if (!seed->text[doc])
			continue;
		ci->rc[doc] = ci_doc(ci, (enum cloudinit_doc)doc, seed->text[doc], seed->len[doc]);
		if (ci->rc[doc]) {
			ci_reset(ci, (enum cloudinit_doc)doc);
			if (!first)
				first = ci->rc[doc];
		}
	}
	return first;
}

void cloudinit_free(struct cloudinit *ci)
{
	for (int doc = 0; doc < CLOUDINIT_NDOCS; doc++)
		if (ci->trees[doc].chunks)
			yaml_free(&ci->trees[doc]);
	while (ci->blocks) {
		struct cloudinit_block *b = ci->blocks;

		ci->blocks = b->next;
		ci->alloc.free(ci->alloc.ctx, b);
	}
}
