/*
 * cloud-init NoCloud: network-config version 2 (netplan's format, as
 * cloud-init's "Networking Config Version 2" page documents the subset it
 * reads) into the model of <lib/cloudinit.h>.  IPv4 only for now: IPv6
 * addresses, gateways, routes and name servers are noted and skipped, as
 * are bonds, bridges, VLANs and version 1 configs.
 */
#include <lib/cloudinit.h>
#include <lib/errno.h>
#include <lib/string.h>

#define CI_MTU_MIN 68	 /* RFC 791: every host takes 68-byte datagrams */
#define CI_MTU_MAX 65535 /* an IPv4 datagram's largest size */

/* Parse "a.b.c.d" (and "/nn" if @prefix, then required) into @out. */
static int ci_ipv4_parse(const char *s, bool prefix, struct cloudinit_ipv4 *out)
{
	uint32_t addr = 0;

	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;

		for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
			v = v * 10 + (unsigned)(*s - '0');
		if (!digits || digits > 3 || v > 255 || *s != (i < 3 ? '.' : *s))
			return -EINVAL;
		addr = addr << 8 | v;
		if (i < 3)
			s++;
	}
	out->addr = addr;
	out->prefix = 32;
	if (!prefix)
		return *s ? -EINVAL : 0;
	if (*s++ != '/' || *s < '0' || *s > '9')
		return -EINVAL;
	out->prefix = (uint8_t)(*s++ - '0');
	if (*s >= '0' && *s <= '9')
		out->prefix = (uint8_t)(out->prefix * 10 + (*s++ - '0'));
	return *s || out->prefix > 32 ? -EINVAL : 0;
}

/* An IPv4 address (with a prefix if @prefix) from scalar @n; 1 if it is
 * IPv6 (noted, to be skipped). */
static int ci_ipv4(struct cloudinit *ci, const struct yaml_node *n, const char *key, bool prefix,
		   struct cloudinit_ipv4 *out, struct yaml_error *err)
{
	if (cloudinit_expect(n, YAML_SCALAR, key, err))
		return -EINVAL;
	if (memchr(n->str, ':', n->len)) {
		cloudinit_note(ci, CLOUDINIT_NETWORK, n, key, "IPv6 is not supported, skipped");
		return 1;
	}
	if (ci_ipv4_parse(n->str, prefix, out) == 0)
		return 0;
	yaml_set_error(err, n, "%s: expected an IPv4 address%s, not \"%s\"", key,
		       prefix ? " with a prefix length (a.b.c.d/nn)" : "", n->str);
	return -EINVAL;
}

/* Check @n is a list of at most @max items. */
static int ci_list(const struct yaml_node *n, const char *key, unsigned max, struct yaml_error *err)
{
	if (cloudinit_expect(n, YAML_SEQ, key, err))
		return -EINVAL;
	if (n->count <= max)
		return 0;
	yaml_set_error(err, n, "%s: more than %u entries", key, max);
	return -E2BIG;
}

static int ci_addresses(struct cloudinit *ci, struct cloudinit_ethernet *eth,
			const struct yaml_node *n, struct yaml_error *err)
{
	int rc = ci_list(n, "addresses", CLOUDINIT_MAX_ADDRESSES, err);

	for (const struct yaml_entry *e = rc ? NULL : n->entries; e; e = e->next) {
		rc = ci_ipv4(ci, e->value, "addresses", true, &eth->addresses[eth->naddresses],
			     err);
		if (rc < 0)
			return rc;
		eth->naddresses += rc == 0;
	}
	return rc < 0 ? rc : 0;
}

static int ci_route(struct cloudinit *ci, struct cloudinit_ethernet *eth, const struct yaml_node *n,
		    struct yaml_error *err)
{
	struct cloudinit_route *r = &eth->routes[eth->nroutes];
	const struct yaml_node *to = yaml_get(n, "to"), *via = yaml_get(n, "via");
	const struct yaml_node *metric = yaml_get(n, "metric");
	struct cloudinit_ipv4 gw;
	int rc;

	if (cloudinit_expect(n, YAML_MAP, "routes entry", err))
		return -EINVAL;
	if (!to || !via) {
		yaml_set_error(err, n, "routes: an entry needs to and via");
		return -EINVAL;
	}
	if (yaml_is(to, "default"))
		r->to = (struct cloudinit_ipv4){ 0, 0 };
	else if ((rc = ci_ipv4(ci, to, "routes: to", true, &r->to, err)))
		return rc < 0 ? rc : 0;
	if ((rc = ci_ipv4(ci, via, "routes: via", false, &gw, err)))
		return rc < 0 ? rc : 0;
	r->via = gw.addr;
	r->metric = -1;
	if (metric && (yaml_int(metric, &r->metric) || r->metric < 0)) {
		yaml_set_error(err, metric, "routes: metric: expected a number");
		return -EINVAL;
	}
	eth->nroutes++;
	return 0;
}

static int ci_nameservers(struct cloudinit *ci, struct cloudinit_ethernet *eth,
			  const struct yaml_node *n, struct yaml_error *err)
{
	const struct yaml_node *addrs = yaml_get(n, "addresses"), *search = yaml_get(n, "search");
	struct cloudinit_ipv4 a;
	int rc;

	if (cloudinit_expect(n, YAML_MAP, "nameservers", err))
		return -EINVAL;
	if (addrs &&
	    (rc = ci_list(addrs, "nameservers: addresses", CLOUDINIT_MAX_NAMESERVERS, err)))
		return rc;
	for (const struct yaml_entry *e = addrs ? addrs->entries : NULL; e; e = e->next) {
		rc = ci_ipv4(ci, e->value, "nameservers: addresses", false, &a, err);
		if (rc < 0)
			return rc;
		if (!rc)
			eth->nameservers[eth->nnameservers++] = a.addr;
	}
	if (search && (rc = ci_list(search, "nameservers: search", CLOUDINIT_MAX_SEARCH, err)))
		return rc;
	for (const struct yaml_entry *e = search ? search->entries : NULL; e; e = e->next) {
		if (cloudinit_expect(e->value, YAML_SCALAR, "nameservers: search", err))
			return -EINVAL;
		eth->search[eth->nsearch++] = e->value->str;
	}
	return 0;
}

static int ci_match(struct cloudinit *ci, struct cloudinit_ethernet *eth, const struct yaml_node *n,
		    struct yaml_error *err)
{
	if (cloudinit_expect(n, YAML_MAP, "match", err))
		return -EINVAL;
	for (const struct yaml_entry *e = n->entries; e; e = e->next) {
		const char *k = e->key->str;

		if (!strcmp(k, "macaddress")) {
			if (cloudinit_string(e->value, "match: macaddress", &eth->match_mac, err))
				return -EINVAL;
		} else if (!strcmp(k, "name")) {
			if (cloudinit_string(e->value, "match: name", &eth->match_name, err))
				return -EINVAL;
		} else {
			cloudinit_note(ci, CLOUDINIT_NETWORK, e->key, k, "not supported, skipped");
		}
	}
	return 0;
}

/* One key of an ethernets entry. */
static int ci_eth_key(struct cloudinit *ci, struct cloudinit_ethernet *eth,
		      const struct yaml_entry *e, struct yaml_error *err)
{
	const char *k = e->key->str;
	const struct yaml_node *v = e->value;
	struct cloudinit_ipv4 gw;
	int rc = 0;

	if (!strcmp(k, "match"))
		return ci_match(ci, eth, v, err);
	if (!strcmp(k, "set-name"))
		return cloudinit_string(v, k, &eth->set_name, err);
	if (!strcmp(k, "addresses"))
		return ci_addresses(ci, eth, v, err);
	if (!strcmp(k, "nameservers"))
		return ci_nameservers(ci, eth, v, err);
	if (!strcmp(k, "gateway4")) {
		rc = ci_ipv4(ci, v, k, false, &gw, err);
		eth->gateway4 = rc ? 0 : gw.addr;
	} else if (!strcmp(k, "routes")) {
		rc = ci_list(v, k, CLOUDINIT_MAX_ROUTES, err);
		for (const struct yaml_entry *r = rc ? NULL : v->entries; r && !rc; r = r->next)
			rc = ci_route(ci, eth, r->value, err);
	} else if (!strcmp(k, "dhcp4")) {
		if (yaml_bool_loose(v, &eth->dhcp4))
			yaml_set_error(err, v, "dhcp4: expected true or false"), rc = -EINVAL;
	} else if (!strcmp(k, "mtu")) {
		if (yaml_int(v, &eth->mtu) || eth->mtu < CI_MTU_MIN || eth->mtu > CI_MTU_MAX)
			yaml_set_error(err, v, "mtu: expected a number from 68 to 65535"),
				rc = -EINVAL;
	} else {
		cloudinit_note(ci, CLOUDINIT_NETWORK, e->key, k, "not supported, skipped");
	}
	return rc < 0 ? rc : 0;
}

static int ci_ethernets(struct cloudinit *ci, const struct yaml_node *n, struct yaml_error *err)
{
	int rc;

	if (cloudinit_expect(n, YAML_MAP, "ethernets", err))
		return -EINVAL;
	for (const struct yaml_entry *e = n->entries; e; e = e->next) {
		struct cloudinit_ethernet *eth = &ci->ethernets[ci->nethernets];

		if (ci->nethernets == CLOUDINIT_MAX_ETHERNETS) {
			yaml_set_error(err, e->key, "ethernets: more than %d",
				       CLOUDINIT_MAX_ETHERNETS);
			return -E2BIG;
		}
		memset(eth, 0, sizeof(*eth));
		eth->id = e->key->str;
		if (e->value->kind != YAML_NULL &&
		    cloudinit_expect(e->value, YAML_MAP, eth->id, err))
			return -EINVAL;
		for (const struct yaml_entry *k = e->value->entries; k; k = k->next)
			if ((rc = ci_eth_key(ci, eth, k, err)))
				return rc;
		ci->nethernets++;
	}
	return 0;
}

int cloudinit_network(struct cloudinit *ci, const struct yaml_node *root, struct yaml_error *err)
{
	const struct yaml_node *version;
	int64_t v = 0;
	int rc;

	if (cloudinit_expect(root, YAML_MAP, "network-config", err))
		return -EINVAL;
	if (yaml_get(root, "network"))
		root = yaml_get(root, "network"); /* "network: {version: 2, ...}" */
	if (cloudinit_expect(root, YAML_MAP, "network", err))
		return -EINVAL;
	version = yaml_get(root, "version");
	if (!version || yaml_int(version, &v) || (v != 1 && v != 2)) {
		yaml_set_error(err, version ? version : root, "version: expected 1 or 2");
		return -EINVAL;
	}
	if (v == 1) {
		cloudinit_note(ci, CLOUDINIT_NETWORK, version, "version",
			       "1 is not supported, skipped");
		return 0;
	}
	for (const struct yaml_entry *e = root->entries; e; e = e->next) {
		if (!strcmp(e->key->str, "ethernets")) {
			if ((rc = ci_ethernets(ci, e->value, err)))
				return rc;
		} else if (strcmp(e->key->str, "version")) {
			cloudinit_note(ci, CLOUDINIT_NETWORK, e->key, e->key->str,
				       "not supported, skipped");
		}
	}
	ci->net_version = 2;
	return 0;
}
