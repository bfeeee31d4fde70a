/*
 * cloud-init NoCloud at boot, the init's part (init/cloudinit.h): finding
 * the seed on the disks, reading its three files, the order of application,
 * the network and the host name.  Files and mounts: init/cloudinit_files.c.
 */
#include "init/cloudinit.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/time.h"
#include "core/uts.h"
#include "drivers/blk.h"
#include "drivers/virtio.h"
#include "net/lwip/net.h"
#include <lib/cmdline.h>
#include <lib/fat.h>
#include <lib/fmt.h>
#include <lib/iso9660.h>

#define SEED_LABEL	"cidata"
#define SEED_FILE_FIRST (64u << 10)	    /* a FAT file's first buffer, doubled on E2BIG */
#define SEED_FILE_MAX	(8u << 20)	    /* a seed file: 4 MiB of content, base64'd */
#define SEED_VECS	8		    /* segments of one sector's buffer (<= 4 KiB) */
#define SEED_DHCP_NS	(10 * NSEC_PER_SEC) /* net_init's own wait */
#define SEED_URL_MAX	256
#define SEED_HTTP_NS	(5 * NSEC_PER_SEC) /* each file's GET */
#define HOSTS_MAX	512
#define RESOLV_MAX	512
#define IP_STR_MAX	16 /* "255.255.255.255" */
#define MAC_STR_MAX	18 /* "52:54:00:12:34:56" */

static const char *const seed_names[CLOUDINIT_NDOCS] = { "meta-data", "user-data",
							 "network-config" };

/* Read `len` bytes at 512-byte sector `sector` of disk `d` into `buf`. */
static int seed_read(struct blk_dev *d, uint64_t sector, void *buf, size_t len)
{
	struct blk_vec vec[SEED_VECS];
	int n = blk_vec_kbuf(buf, len, vec, SEED_VECS);

	return n < 0 ? n : blk_io(d, BLK_OP_READ, 0, sector, vec, (unsigned)n);
}

static int seed_read_iso(void *ctx, uint64_t sector, void *buf, unsigned count)
{
	return seed_read(ctx, sector * (ISO9660_SECTOR / BLK_SECTOR_SIZE), buf,
			 (size_t)count * ISO9660_SECTOR);
}

static int seed_read_fat(void *ctx, uint64_t sector, void *buf, unsigned count)
{
	return seed_read(ctx, sector * (FAT_DEV_SECTOR / BLK_SECTOR_SIZE), buf,
			 (size_t)count * FAT_DEV_SECTOR);
}

/* A seed volume being read: one of the two readers (each holds its sector
 * buffers, too large for a kernel stack). */
struct seed_vol {
	bool iso;
	union {
		struct iso9660 iso9660;
		struct fat fat;
	};
};

/* Whether disk `d` holds a seed: `v` opened on it.  A disk of another kind
 * is simply not one (its reads are a few sectors). */
static bool seed_open(struct seed_vol *v, struct blk_dev *d)
{
	v->iso = true;
	if (!iso9660_open(&v->iso9660, seed_read_iso, d,
			  d->sectors * BLK_SECTOR_SIZE / ISO9660_SECTOR) &&
	    iso9660_label_is(&v->iso9660, SEED_LABEL))
		return true;
	v->iso = false;
	return !fat_open(&v->fat, seed_read_fat, d,
			 d->sectors * BLK_SECTOR_SIZE / FAT_DEV_SECTOR) &&
	       fat_label_is(&v->fat, SEED_LABEL);
}

/* File `name` of the seed, in a new buffer (NUL terminated for the log's
 * sake): its length, or -ENOENT, -E2BIG past SEED_FILE_MAX, -ENOMEM, a
 * reader's error.  A FAT reader cannot tell a size first: it is asked
 * again with twice the room. */
static long seed_file(struct seed_vol *v, const char *name, char **out)
{
	struct iso9660_file f;
	size_t cap = SEED_FILE_FIRST;
	long n;

	if (v->iso) {
		if ((n = iso9660_find(&v->iso9660, name, &f)))
			return n;
		if (f.size > SEED_FILE_MAX)
			return -E2BIG;
		cap = f.size;
	}
	for (;; cap *= 2) {
		if (!(*out = kmalloc(cap + 1)))
			return -ENOMEM;
		n = v->iso ? iso9660_read(&v->iso9660, name, *out, cap)
			   : fat_read(&v->fat, name, *out, cap);
		if (n >= 0) {
			(*out)[n] = 0;
			return n;
		}
		kfree(*out);
		*out = NULL;
		if (n != -E2BIG || v->iso || cap >= SEED_FILE_MAX)
			return n;
	}
}

static void *seed_alloc(void *ctx, size_t n)
{
	return kmalloc(n);
}

static void seed_free(void *ctx, void *p)
{
	kfree(p);
}

static void seed_note(void *ctx, const char *msg)
{
	klog("monos: cloud-init: %s\n", msg);
}

/* The model and the files' text it may point into (a "#!" user-data is
 * kept in place), freed together once applied. */
struct seed_model {
	struct cloudinit ci;
	char *text[CLOUDINIT_NDOCS];
};

/* Where a seed's files come from: file `name` into a new buffer (NUL
 * terminated), its length or -errno (seed_file's). */
typedef long (*seed_get_fn)(void *ctx, const char *name, char **out);

static long seed_get_disk(void *ctx, const char *name, char **out)
{
	return seed_file(ctx, name, out);
}

/* Read the three files of a seed through `get` and parse them into a new
 * model (NULL: no memory, logged).  A file that cannot be read counts as
 * absent; a malformed one contributes nothing; both are logged. */
static struct cloudinit *seed_parse(seed_get_fn get, void *ctx)
{
	static const struct yaml_alloc alloc = { seed_alloc, seed_free, NULL };
	struct cloudinit_seed seed = { { NULL }, { 0 } };
	struct seed_model *m = kzalloc(sizeof(*m));
	char where[YAML_MSG_MAX + 32];

	if (!m) {
		klog("monos: cloud-init: no memory for the seed: not applied\n");
		return NULL;
	}
	for (int i = 0; i < CLOUDINIT_NDOCS; i++) {
		long n = get(ctx, seed_names[i], &m->text[i]);

		if (n == -ENOENT)
			klog("monos: cloud-init: the seed has no %s\n", seed_names[i]);
		else if (n < 0)
			klog("monos: cloud-init: %s cannot be read (%s): ignored\n", seed_names[i],
			     errno_name((int)-n));
		seed.text[i] = m->text[i];
		seed.len[i] = n > 0 ? (size_t)n : 0;
	}
	if (cloudinit_parse(&m->ci, &seed, &alloc, seed_note, NULL))
		for (int i = 0; i < CLOUDINIT_NDOCS; i++)
			if (m->ci.rc[i]) {
				yaml_error_format(&m->ci.errors[i], where, sizeof(where));
				klog("monos: cloud-init: %s: %s (%s): the file is ignored\n",
				     seed_names[i], where, errno_name(-m->ci.rc[i]));
			}
	return &m->ci;
}

/* Give back a model seed_parse made. */
static void seed_model_free(struct cloudinit *ci)
{
	struct seed_model *m = container_of(ci, struct seed_model, ci);

	cloudinit_free(ci);
	for (int i = 0; i < CLOUDINIT_NDOCS; i++)
		kfree(m->text[i]);
	kfree(m);
}

struct cloudinit *cloudinit_boot_read(void)
{
	struct seed_vol *v;
	struct cloudinit *ci = NULL;
	unsigned i;

	if (!blk_count())
		return NULL;
	if (!(v = kmalloc(sizeof(*v)))) {
		klog("monos: cloud-init: no memory to look for a seed\n");
		return NULL;
	}
	for (i = 0; i < blk_count(); i++)
		if (seed_open(v, blk_get(i)))
			break;
	if (i < blk_count()) {
		klog("monos: cloud-init: NoCloud seed on %s (%s, label %s)\n", blk_get(i)->name,
		     v->iso ? "ISO 9660" : "FAT", v->iso ? v->iso9660.volume_id : v->fat.label);
		ci = seed_parse(seed_get_disk, v);
	}
	kfree(v);
	return ci;
}

/* The boot's own root, for cloud-init's work when `monos run -u` made the
 * first thread someone else: cloud-init runs as root. */
static struct cred boot_root = { .cap_prm = CAP_FULL_SET,
				 .cap_eff = CAP_FULL_SET,
				 .cap_bset = CAP_FULL_SET };

/* ---------------------------------------------------- a seed over HTTP */

static long seed_get_http(void *ctx, const char *name, char **out)
{
	return net_http_get(ctx, name, out, SEED_FILE_MAX, SEED_HTTP_NS);
}

/* The URL of the command line's "ds=nocloud;s=URL" (or nocloud-net, or
 * seedfrom=URL), into `url`: true if there is one. */
static bool seed_url(const char *cmdline, char url[SEED_URL_MAX])
{
	size_t len, n;
	const char *ds = cmdline_find(cmdline, "ds", &len), *end;

	if (!ds || (strncmp(ds, "nocloud;", 8) && strncmp(ds, "nocloud-net;", 12)))
		return false;
	end = ds + len;
	for (const char *k = ds + strcspn(ds, ";") + 1; k < end; k += n + 1) {
		n = (size_t)(end - k) < strcspn(k, ";") ? (size_t)(end - k) : strcspn(k, ";");
		const char *v = k + strcspn(k, "=") + 1;
		if (!strncmp(k, "s=", 2) || !strncmp(k, "seedfrom=", 9)) {
			if (k + n - v >= SEED_URL_MAX)
				break;
			memcpy(url, v, (size_t)(k + n - v));
			url[k + n - v] = 0;
			return true;
		}
		klog("monos: cloud-init: ds=: %.*s: not supported, skipped\n", (int)n, k);
	}
	klog("monos: cloud-init: ds=%.*s: no seed URL (s=http://HOST:PORT/) that fits: "
	     "ignored\n",
	     (int)len, ds);
	return false;
}

struct cloudinit *cloudinit_boot_url(const char *cmdline, struct cloudinit *disk)
{
	char url[SEED_URL_MAX];
	char *probe = NULL;
	long n;

	if (!seed_url(cmdline, url))
		return disk;
	if (!net_ready() || !netdev_present()) {
		klog("monos: cloud-init: seed %s: no network device (monos run --net): not "
		     "fetched\n",
		     url);
		return disk;
	}
	/* meta-data must be there: a server that is not one is no seed. */
	if ((n = seed_get_http(url, seed_names[CLOUDINIT_META], &probe)) < 0) {
		klog("monos: cloud-init: seed %smeta-data: %s: not used\n", url,
		     errno_name((int)-n));
		return disk;
	}
	kfree(probe);
	klog("monos: cloud-init: NoCloud seed %s\n", url);
	if (disk) {
		klog("monos: cloud-init: the command line's seed wins over the disk's\n");
		seed_model_free(disk);
	}
	return seed_parse(seed_get_http, url);
}

/* ------------------------------------------------------------ network */

/* Whether `name` matches netplan's shell-style `pattern` ('*', '?'). */
static bool name_glob(const char *pattern, const char *name)
{
	if (!*pattern)
		return !*name;
	if (*pattern == '*')
		return name_glob(pattern + 1, name) || (*name && name_glob(pattern, name + 1));
	return *name && (*pattern == '?' || *pattern == *name) && name_glob(pattern + 1, name + 1);
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether MAC text `a` is the device's address (hex digits in any case). */
static bool mac_is_ours(const char *a)
{
	const uint8_t *m = netdev_mac();
	char ours[MAC_STR_MAX];
	size_t i;

	if (!m)
		return false;
	fmt_snprintf(ours, sizeof(ours), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		     m[4], m[5]);
	for (i = 0; ours[i] && lower(a[i]) == ours[i]; i++)
		;
	return !ours[i] && !a[i];
}

/* Whether ethernets entry `e` is this instance's one interface, eth0: by
 * its match (every key given must match), else by its id. */
static bool net_entry_ours(const struct cloudinit_ethernet *e)
{
	if (!e->match_mac && !e->match_name)
		return !strcmp(e->id, "eth0");
	return (!e->match_name || name_glob(e->match_name, "eth0")) &&
	       (!e->match_mac || mac_is_ours(e->match_mac));
}

/* The gateway of entry `e`: gateway4, else a default route's via; 0 if
 * none.  Routes to other prefixes are skipped: lwIP routes to one
 * gateway. */
static uint32_t net_gateway(const struct cloudinit_ethernet *e)
{
	uint32_t gw = e->gateway4;

	for (unsigned i = 0; i < e->nroutes; i++) {
		const struct cloudinit_route *r = &e->routes[i];

		if (r->to.prefix == 0 && !gw)
			gw = r->via;
		else if (r->to.prefix)
			klog("monos: cloud-init: ethernets.%s: a route to a prefix: not "
			     "supported (one default gateway), skipped\n",
			     e->id);
	}
	return gw;
}

static const char *ip_str(uint32_t a, char buf[IP_STR_MAX])
{
	fmt_snprintf(buf, IP_STR_MAX, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
		     a & 0xff);
	return buf;
}

/* DHCP for entry `e` (the command line's monos.ip wins), as net_init's own. */
static void net_dhcp(const struct cloudinit_ethernet *e, bool ip_cmd)
{
	char a[IP_STR_MAX * 2], g[IP_STR_MAX * 2];

	if (ip_cmd) {
		klog("monos: cloud-init: ethernets.%s: dhcp4: the command line's monos.ip "
		     "wins\n",
		     e->id);
		return;
	}
	if (net_dhcp_lease(SEED_DHCP_NS))
		klog("monos: cloud-init: eth0: no DHCP lease within %llu s\n",
		     SEED_DHCP_NS / NSEC_PER_SEC);
	else
		klog("monos: cloud-init: eth0: dhcp lease %s gateway %s\n",
		     net_if_addr_str(a, sizeof(a), false), net_if_addr_str(g, sizeof(g), true));
}

/* Static addresses and the gateway of entry `e`, each unless the command
 * line (monos.ip, monos.gateway) set it.  lwIP's interface holds one IPv4
 * address: the first counts. */
static void net_static(const struct cloudinit_ethernet *e, bool ip_cmd, bool gw_cmd)
{
	const struct cloudinit_ipv4 *a = e->naddresses && !ip_cmd ? &e->addresses[0] : NULL;
	uint32_t gw = net_gateway(e);
	bool set_gw = (e->naddresses || gw) && !gw_cmd; /* addresses alone: no route */
	char s[IP_STR_MAX], t[IP_STR_MAX];

	if (e->naddresses > 1)
		klog("monos: cloud-init: ethernets.%s: %u addresses: the first is used\n", e->id,
		     e->naddresses);
	if (e->naddresses && ip_cmd)
		klog("monos: cloud-init: ethernets.%s: addresses: monos.ip wins\n", e->id);
	if (gw && gw_cmd)
		klog("monos: cloud-init: ethernets.%s: gateway: monos.gateway wins\n", e->id);
	if (!a && !set_gw)
		return;
	if (net_if_set_ip4(a ? &a->addr : NULL, a ? a->prefix : 0, set_gw ? &gw : NULL)) {
		klog("monos: cloud-init: eth0: no network device: addresses not applied\n");
		return;
	}
	if (a)
		klog("monos: cloud-init: eth0: address %s/%u\n", ip_str(a->addr, s), a->prefix);
	if (set_gw)
		klog("monos: cloud-init: eth0: gateway %s\n", gw ? ip_str(gw, t) : "none");
}

/* nameservers: /etc/resolv.conf, read by libc's resolver. */
static void net_resolv(const struct cloudinit_ethernet *e)
{
	char text[RESOLV_MAX], ip[IP_STR_MAX];
	size_t n = 0;

	if (!e->nnameservers && !e->nsearch)
		return;
	text[0] = 0;
	for (unsigned i = 0; i < e->nnameservers && n < sizeof(text); i++)
		n += fmt_snprintf(text + n, sizeof(text) - n, "nameserver %s\n",
				  ip_str(e->nameservers[i], ip));
	if (e->nsearch && n < sizeof(text))
		n += fmt_snprintf(text + n, sizeof(text) - n, "search");
	for (unsigned i = 0; i < e->nsearch && n < sizeof(text); i++)
		n += fmt_snprintf(text + n, sizeof(text) - n, " %s", e->search[i]);
	if (e->nsearch && n < sizeof(text))
		n += fmt_snprintf(text + n, sizeof(text) - n, "\n");
	if (n >= sizeof(text)) {
		klog("monos: cloud-init: ethernets.%s: nameservers too long: skipped\n", e->id);
		return;
	}
	cloudinit_write_text("/etc/resolv.conf", text);
}

void cloudinit_boot_net(const struct cloudinit *ci, const char *cmdline)
{
	const struct cloudinit_ethernet *e = NULL;
	bool ip_cmd = cmdline_find(cmdline, "monos.ip", NULL);
	bool gw_cmd = cmdline_find(cmdline, "monos.gateway", NULL);

	for (unsigned i = 0; i < ci->nethernets; i++) {
		if (!e && net_entry_ours(&ci->ethernets[i]))
			e = &ci->ethernets[i];
		else
			klog("monos: cloud-init: ethernets.%s: not this instance's interface "
			     "(eth0): skipped\n",
			     ci->ethernets[i].id);
	}
	if (!e)
		return;
	if (e->set_name && strcmp(e->set_name, "eth0"))
		klog("monos: cloud-init: ethernets.%s: set-name %s: not supported (the "
		     "interface stays eth0)\n",
		     e->id, e->set_name);
	if (e->mtu)
		klog("monos: cloud-init: ethernets.%s: mtu: not supported, skipped\n", e->id);
	if (!netdev_present())
		klog("monos: cloud-init: network-config: no network device (monos run --net): "
		     "only nameservers applied\n");
	else if (e->dhcp4)
		net_dhcp(e, ip_cmd);
	else
		net_static(e, ip_cmd, gw_cmd);
	cred_override(&boot_root);
	net_resolv(e);
	cred_revert();
}

/* ---------------------------------------------------------- host name */

/* The host name and fully qualified name cloud-init's
 * util.get_hostname_fqdn derives: fqdn, else a hostname with a dot, else
 * hostname, else meta-data's local-hostname; the host name is the first
 * label of the fqdn unless hostname says otherwise. */
static void host_names(const struct cloudinit *ci, char host[UTS_LEN], const char **fqdn)
{
	const char *h = ci->hostname;
	size_t len;

	*fqdn = ci->fqdn;
	if (!*fqdn && h && strchr(h, '.'))
		*fqdn = h, h = NULL;
	if (!*fqdn && !h && ci->local_hostname) {
		*fqdn = ci->local_hostname;
		h = strchr(*fqdn, '.') ? NULL : *fqdn;
	}
	if (!h && *fqdn)
		h = *fqdn;
	host[0] = 0;
	if (!h)
		return;
	len = h == *fqdn ? strcspn(h, ".") : strlen(h);
	if (len > UTS_NAME_MAX || !len) {
		klog("monos: cloud-init: hostname %s: not 1 to %u characters: skipped\n", h,
		     UTS_NAME_MAX);
		return;
	}
	memcpy(host, h, len);
	host[len] = 0;
	if (!*fqdn)
		*fqdn = h;
}

/* hostname, fqdn, manage_etc_hosts (Debian's template, for true and for
 * "localhost" alike: the image's /etc/hosts is the CLI's or the image's). */
static void apply_hostname(const struct cloudinit *ci)
{
	char host[UTS_LEN], text[HOSTS_MAX];
	const char *fqdn;
	int n;

	host_names(ci, host, &fqdn);
	if (!host[0])
		return;
	strcpy(uts_nodename, host);
	fmt_snprintf(text, sizeof(text), "%s\n", host);
	cloudinit_write_text("/etc/hostname", text);
	klog("monos: cloud-init: hostname %s (fqdn %s)\n", host, fqdn);
	if (ci->manage_etc_hosts != CLOUDINIT_HOSTS_TRUE &&
	    ci->manage_etc_hosts != CLOUDINIT_HOSTS_LOCALHOST)
		return;
	n = fmt_snprintf(text, sizeof(text),
			 "127.0.1.1 %s %s\n127.0.0.1 localhost\n\n"
			 "::1 localhost ip6-localhost ip6-loopback\n"
			 "ff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n",
			 fqdn, host);
	if (n > 0 && (size_t)n < sizeof(text))
		cloudinit_write_text("/etc/hosts", text);
}

/* ------------------------------------------------------------ the order */

/* cloud-init's write_files (deferred false) or write_files_deferred. */
static void apply_files(const struct cloudinit *ci, bool deferred)
{
	for (unsigned i = 0; i < ci->nfiles; i++)
		if (ci->files[i].defer == deferred)
			cloudinit_write_file(&ci->files[i]);
}

void cloudinit_boot_apply(struct cloudinit *ci)
{
	if (ci->user_kind == CLOUDINIT_USER_SCRIPT)
		klog("monos: cloud-init: user-data is a script: not run (not supported)\n");
	else if (ci->user_kind == CLOUDINIT_USER_UNSUPPORTED)
		klog("monos: cloud-init: user-data is neither #cloud-config nor a script: "
		     "skipped\n");
	/* One thread at boot: nothing else runs while a mount sleeps on its
	 * disk under the override (cred.h asks for no sleep in between). */
	cred_override(&boot_root);
	apply_files(ci, false);
	cloudinit_mounts(ci);
	apply_hostname(ci);
	apply_files(ci, true);
	cred_revert();
	seed_model_free(ci);
}
