/*
 * Unit tests of cloud-init's NoCloud model (kernel/lib/cloudinit*.c): a
 * full seed written after cloud-init's documented examples, every
 * write_files encoding (gz+b64 content made by gzip(1) and base64(1) at
 * test time), mounts with cloud-init's defaults, network-config version 2,
 * the notes for skipped keys, and errors that name the key and the line
 * while the other files still count.
 */
#include <stdint.h>
#include <stdlib.h>
#include "unit.h"
#include "../../kernel/lib/base64.c"
#include "../../kernel/lib/cloudinit.c"
#include "../../kernel/lib/cloudinit_net.c"
#include "../../kernel/lib/fmt.c"
#include "../../kernel/lib/inflate.c"
#include "../../kernel/lib/yaml.c"
#include "../../kernel/lib/yaml_node.c"
#include "../../kernel/lib/yaml_scalar.c"

static long live;

static void *t_alloc(void *ctx, size_t n)
{
	(void)ctx;
	live++;
	return malloc(n);
}

static void t_free(void *ctx, void *p)
{
	(void)ctx;
	live--;
	free(p);
}

static const struct yaml_alloc t_allocator = { t_alloc, t_free, NULL };

static char notes[4096];

static void t_note(void *ctx, const char *msg)
{
	(void)ctx;
	strncat(notes, msg, sizeof(notes) - strlen(notes) - 2);
	strcat(notes, "\n");
}

static int parse(struct cloudinit *ci, const char *meta, const char *user, const char *net)
{
	struct cloudinit_seed seed = { { meta, user, net },
				       { meta ? strlen(meta) : 0, user ? strlen(user) : 0,
					 net ? strlen(net) : 0 } };

	notes[0] = '\0';
	return cloudinit_parse(ci, &seed, &t_allocator, t_note, NULL);
}

static const char *error_of(const struct cloudinit *ci, enum cloudinit_doc doc)
{
	static char buf[200];

	yaml_error_format(&ci->errors[doc], buf, sizeof(buf));
	return buf;
}

/* "hello\n" as gzip then base64, made by the tools. */
static char gzb64[256];

TEST(full_seed)
{
	static char user[2048];
	struct cloudinit ci;

	snprintf(user, sizeof(user),
		 "#cloud-config\n"
		 "hostname: web1\n"
		 "fqdn: web1.example.com\n"
		 "manage_etc_hosts: localhost\n"
		 "write_files:\n"
		 "- path: /etc/app.conf\n"
		 "  content: |\n"
		 "    port = 80\n"
		 "- path: /etc/b64\n"
		 "  encoding: b64\n"
		 "  content: aGVsbG8K\n"
		 "  permissions: '0600'\n"
		 "  owner: app:app\n"
		 "- path: /etc/gz\n"
		 "  encoding: gzip+base64\n"
		 "  content: %s\n"
		 "  permissions: 0755\n"
		 "  append: true\n"
		 "  defer: yes\n"
		 "- path: /etc/empty\n"
		 "mounts:\n"
		 " - [ vdb, /data, ext4, \"defaults,noatime\", \"0\", \"2\" ]\n"
		 " - [ vdc, /srv ]\n"
		 " - [ vdd, null ]\n",
		 gzb64);
	CHECK_EQ(parse(&ci, "instance-id: iid-local01\nlocal-hostname: seedhost\n", user,
		       "network:\n"
		       "  version: 2\n"
		       "  ethernets:\n"
		       "    eth0:\n"
		       "      match:\n"
		       "        macaddress: \"52:54:00:12:34:56\"\n"
		       "      set-name: eth0\n"
		       "      dhcp4: false\n"
		       "      addresses: [10.0.2.15/24, 192.168.1.2/16]\n"
		       "      gateway4: 10.0.2.2\n"
		       "      routes:\n"
		       "        - to: default\n"
		       "          via: 10.0.2.2\n"
		       "        - to: 172.16.0.0/12\n"
		       "          via: 10.0.2.3\n"
		       "          metric: 100\n"
		       "      nameservers:\n"
		       "        addresses: [10.0.2.3, 8.8.8.8]\n"
		       "        search: [example.com, lan]\n"
		       "      mtu: 1500\n"),
		 0);
	CHECK_STR(ci.instance_id, "iid-local01");
	CHECK_STR(ci.local_hostname, "seedhost");
	CHECK_EQ(ci.user_kind, CLOUDINIT_USER_CLOUD_CONFIG);
	CHECK_STR(ci.hostname, "web1");
	CHECK_STR(ci.fqdn, "web1.example.com");
	CHECK_EQ(ci.manage_etc_hosts, CLOUDINIT_HOSTS_LOCALHOST);
	CHECK_EQ(ci.nfiles, 4);
	CHECK_STR(ci.files[0].path, "/etc/app.conf");
	CHECK(ci.files[0].len == 10 && !memcmp(ci.files[0].content, "port = 80\n", 10));
	CHECK_EQ(ci.files[0].mode, 0644);
	CHECK_STR(ci.files[0].owner, "root:root");
	CHECK(!ci.files[0].append && !ci.files[0].defer);
	CHECK(ci.files[1].len == 6 && !memcmp(ci.files[1].content, "hello\n", 6));
	CHECK_EQ(ci.files[1].mode, 0600);
	CHECK_STR(ci.files[1].owner, "app:app");
	CHECK(ci.files[2].len == 6 && !memcmp(ci.files[2].content, "hello\n", 6));
	CHECK_EQ(ci.files[2].mode, 0755);
	CHECK(ci.files[2].append && ci.files[2].defer);
	CHECK_EQ(ci.files[3].len, 0);
	CHECK_EQ(ci.nmounts, 3);
	CHECK_STR(ci.mounts[0].field[3], "defaults,noatime");
	CHECK_STR(ci.mounts[1].field[2], "auto");
	CHECK_STR(ci.mounts[1].field[3], "defaults,nofail");
	CHECK_STR(ci.mounts[1].field[5], "2");
	CHECK(!ci.mounts[1].remove && ci.mounts[2].remove);
	CHECK_EQ(ci.net_version, 2);
	CHECK_EQ(ci.nethernets, 1);
	CHECK_STR(ci.ethernets[0].id, "eth0");
	CHECK_STR(ci.ethernets[0].match_mac, "52:54:00:12:34:56");
	CHECK_STR(ci.ethernets[0].set_name, "eth0");
	CHECK(!ci.ethernets[0].dhcp4);
	CHECK_EQ(ci.ethernets[0].naddresses, 2);
	CHECK_EQ(ci.ethernets[0].addresses[0].addr, 0x0a00020f);
	CHECK_EQ(ci.ethernets[0].addresses[0].prefix, 24);
	CHECK_EQ(ci.ethernets[0].addresses[1].prefix, 16);
	CHECK_EQ(ci.ethernets[0].gateway4, 0x0a000202);
	CHECK_EQ(ci.ethernets[0].nroutes, 2);
	CHECK(ci.ethernets[0].routes[0].to.addr == 0 && ci.ethernets[0].routes[0].to.prefix == 0);
	CHECK_EQ(ci.ethernets[0].routes[0].metric, -1);
	CHECK_EQ(ci.ethernets[0].routes[1].to.addr, 0xac100000);
	CHECK_EQ(ci.ethernets[0].routes[1].to.prefix, 12);
	CHECK_EQ(ci.ethernets[0].routes[1].via, 0x0a000203);
	CHECK_EQ(ci.ethernets[0].routes[1].metric, 100);
	CHECK_EQ(ci.ethernets[0].nnameservers, 2);
	CHECK_EQ(ci.ethernets[0].nameservers[1], 0x08080808);
	CHECK_EQ(ci.ethernets[0].nsearch, 2);
	CHECK_STR(ci.ethernets[0].search[1], "lan");
	CHECK_EQ(ci.ethernets[0].mtu, 1500);
	CHECK_STR(notes, "");
	cloudinit_free(&ci);
	CHECK_EQ(live, 0);
}

TEST(skipped_keys_are_noted)
{
	struct cloudinit ci;

	CHECK_EQ(parse(&ci, "instance-id: i-1\npublic-keys: [k]\n",
		       "#cloud-config\nruncmd:\n - [ls]\nfrobnicate: 1\nwrite_files:\n"
		       "- path: /x\n  source: {uri: http://x}\n",
		       "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n    dhcp6: true\n"
		       "    addresses: [\"2001:db8::1/64\"]\nbonds: {}\n"),
		 0);
	CHECK_STR(notes, "meta-data: line 2, column 1: public-keys: not used, skipped\n"
			 "user-data: line 2, column 1: runcmd: not supported, skipped\n"
			 "user-data: line 4, column 1: frobnicate: unknown, skipped\n"
			 "user-data: line 7, column 3: source: not supported, skipped\n"
			 "network-config: line 5, column 5: dhcp6: not supported, skipped\n"
			 "network-config: line 6, column 17: addresses: IPv6 is not supported, "
			 "skipped\n"
			 "network-config: line 7, column 1: bonds: not supported, skipped\n");
	CHECK(ci.ethernets[0].dhcp4);
	CHECK_EQ(ci.ethernets[0].naddresses, 0);
	CHECK_EQ(ci.nfiles, 1);
	cloudinit_free(&ci);
	CHECK_EQ(live, 0);
}

TEST(errors_name_key_and_line_and_spare_other_files)
{
	struct cloudinit ci;

	CHECK_EQ(parse(&ci, "instance-id: i-1\n",
		       "#cloud-config\nhostname: h\nwrite_files: /etc/x\n",
		       "version: 2\nethernets:\n  eth0:\n    addresses: [10.0.2.300/24]\n"),
		 -EINVAL);
	CHECK_EQ(ci.rc[CLOUDINIT_META], 0);
	CHECK_STR(ci.instance_id, "i-1");
	CHECK_EQ(ci.rc[CLOUDINIT_USER], -EINVAL);
	CHECK_STR(error_of(&ci, CLOUDINIT_USER), "line 3, column 14: write_files: expected a list");
	CHECK(ci.hostname == NULL); /* a file with an error counts for nothing */
	CHECK_EQ(ci.rc[CLOUDINIT_NETWORK], -EINVAL);
	CHECK_STR(error_of(&ci, CLOUDINIT_NETWORK),
		  "line 4, column 17: addresses: expected an IPv4 address with a prefix length "
		  "(a.b.c.d/nn), not \"10.0.2.300/24\"");
	CHECK_EQ(ci.nethernets, 0);
	cloudinit_free(&ci);

	CHECK_EQ(parse(&ci, "instance-id: [1]\n", NULL, NULL), -EINVAL);
	CHECK_STR(error_of(&ci, CLOUDINIT_META),
		  "line 1, column 14: instance-id: expected a string");
	cloudinit_free(&ci);
	CHECK_EQ(parse(&ci, NULL, "#cloud-config\nwrite_files:\n- path: /x\n  permissions: rw\n",
		       NULL),
		 -EINVAL);
	CHECK_STR(error_of(&ci, CLOUDINIT_USER),
		  "line 4, column 16: write_files: permissions: expected an octal mode such as "
		  "'0644'");
	cloudinit_free(&ci);
	CHECK_EQ(parse(&ci, NULL, "#cloud-config\nwrite_files:\n- content: x\n", NULL), -EINVAL);
	CHECK_STR(error_of(&ci, CLOUDINIT_USER), "line 3, column 3: write_files: an entry without "
						 "a path");
	cloudinit_free(&ci);
	CHECK_EQ(
		parse(&ci, NULL,
		      "#cloud-config\nwrite_files:\n- path: /x\n  encoding: b64\n  content: '!!'\n",
		      NULL),
		-EINVAL);
	CHECK_STR(error_of(&ci, CLOUDINIT_USER), "line 5, column 12: write_files: content: not "
						 "base64");
	cloudinit_free(&ci);
	CHECK_EQ(parse(&ci, NULL, "#cloud-config\nmounts:\n - [a, b, c, d, e, f, g]\n", NULL),
		 -EINVAL);
	cloudinit_free(&ci);
	CHECK_EQ(parse(&ci, NULL, NULL, "version: 3\n"), -EINVAL);
	CHECK_STR(error_of(&ci, CLOUDINIT_NETWORK), "line 1, column 10: version: expected 1 or 2");
	cloudinit_free(&ci);
	CHECK_EQ(parse(&ci, NULL, "#cloud-config\nhostname: [a\n", NULL), -EINVAL);
	CHECK_STR(error_of(&ci, CLOUDINIT_USER), "line 3, column 1: unterminated flow collection");
	cloudinit_free(&ci);
	CHECK_EQ(live, 0);
}

TEST(user_data_kinds)
{
	struct cloudinit ci;
	char cmd[128];
	static char gz[256];
	FILE *f;
	size_t n;

	CHECK_EQ(parse(&ci, NULL, "#!/bin/sh\necho hi\n", NULL), 0);
	CHECK_EQ(ci.user_kind, CLOUDINIT_USER_SCRIPT);
	CHECK_EQ(ci.user_script_len, 18);
	cloudinit_free(&ci);
	CHECK_EQ(parse(&ci, NULL, "#include\nhttp://example.com/x\n", NULL), 0);
	CHECK_EQ(ci.user_kind, CLOUDINIT_USER_UNSUPPORTED);
	CHECK_STR(notes, "user-data: user-data: neither #cloud-config nor a #! script: not "
			 "supported, skipped\n");
	cloudinit_free(&ci);
	CHECK_EQ(parse(&ci, "", " \n", "# nothing\n"), 0);
	CHECK_EQ(ci.user_kind, CLOUDINIT_USER_NONE);
	CHECK_EQ(ci.net_version, 0);
	cloudinit_free(&ci);
	CHECK_EQ(parse(&ci, NULL, NULL, "version: 1\nconfig: []\n"), 0);
	CHECK_STR(notes, "network-config: line 1, column 10: version: 1 is not supported, "
			 "skipped\n");
	cloudinit_free(&ci);
	/* gzip-compressed user-data, as cloud-init takes it. */
	snprintf(cmd, sizeof(cmd), "printf '#cloud-config\\nhostname: zipped\\n' | gzip -c");
	f = popen(cmd, "r");
	n = f ? fread(gz, 1, sizeof(gz), f) : 0;
	if (f)
		pclose(f);
	{
		struct cloudinit_seed seed = { { NULL, gz, NULL }, { 0, n, 0 } };

		CHECK_EQ(cloudinit_parse(&ci, &seed, &t_allocator, NULL, NULL), 0);
		CHECK_STR(ci.hostname ? ci.hostname : "(none)", "zipped");
		cloudinit_free(&ci);
	}
	CHECK_EQ(live, 0);
}

int main(void)
{
	FILE *f = popen("printf 'hello\\n' | gzip -c | base64 -w 0", "r");

	if (!f || !fgets(gzb64, sizeof(gzb64), f)) {
		printf("SKIP cloudinit: gzip(1) and base64(1) are needed\n");
		return 0;
	}
	pclose(f);
	RUN(full_seed);
	RUN(skipped_keys_are_noted);
	RUN(errors_name_key_and_line_and_spare_other_files);
	RUN(user_data_kinds);
	return unit_summary();
}
