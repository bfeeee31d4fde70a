/*
 * Unit tests of `monos run`'s option parsing (cli/options.c): every flag in
 * its short, long and --flag=value forms, bad flags and values, -e forms,
 * --file HOST:GUEST splitting, and where option parsing stops.
 */
#include "unit.h"

#include "../../cli/agent.c"
#include "../../cli/msg.c"
#include "../../cli/options.c"
#include "../../cli/state.c"
#include "../../cli/volume.c"
#include "../../kernel/lib/cmdline.c"

static char *fake_getenv(const char *name)
{
	static char home[] = "/home/u";

	return strcmp(name, "HOME") == 0 ? home : NULL;
}

/* Parse a NULL-terminated list of arguments.  They are copied to a static
 * array: o->argv points into it after the statement expression ends, as
 * options.c keeps the caller's argv (the block-scoped array itself was read
 * after its scope ended, which ASan reports). */
#define PARSE_MAX_ARGS 64
#define PARSE(o, err, ...)                                                                         \
	({                                                                                         \
		char *args_[] = { __VA_ARGS__, NULL };                                             \
		static char *kept_[PARSE_MAX_ARGS];                                                \
		size_t n_ = sizeof(args_) / sizeof(args_[0]);                                      \
		if (n_ > PARSE_MAX_ARGS)                                                           \
			abort();                                                                   \
		memcpy(kept_, args_, sizeof(args_));                                               \
		options_parse_run(n_ - 1, kept_, (o), (err), sizeof(err), fake_getenv);            \
	})

/* -d, --name and --restart (the monitor's, issue 12). */
TEST(options_detach_forms)
{
	struct run_options o;
	char err[256];

	CHECK_EQ(PARSE(&o, err, "-d", "--name", "web.1_a-b", "--restart", "on-failure:3", "p"), 0);
	CHECK(o.detach && o.restart == OPTIONS_RESTART_ON_FAILURE && o.restart_max == 3);
	CHECK_STR(o.name, "web.1_a-b");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--restart=always", "p"), 0);
	CHECK(!o.detach && o.restart == OPTIONS_RESTART_ALWAYS);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--restart", "on-failure", "p"), 0);
	CHECK(o.restart == OPTIONS_RESTART_ON_FAILURE && o.restart_max == 0);
	options_free(&o);
	static const char *const bad[][2] = {
		{ "--restart", "sometimes" },
		{ "--restart", "on-failure:" },
		{ "--restart", "on-failure:-1" },
		{ "--restart", "on-failure:2x" },
		{ "--restart", "on-failures" },
		{ "--name", "a/b" },
		{ "--name", "-a" },
		{ "--name", "" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(PARSE(&o, err, (char *)bad[i][0], (char *)bad[i][1], "p"), -EINVAL);
		CHECK(strstr(err, bad[i][0] + 2) != NULL);
		options_free(&o);
	}
}

TEST(options_defaults)
{
	struct run_options o;
	char err[256];

	CHECK_EQ(PARSE(&o, err, "prog", "-v", "--memory", "1G"), 0);
	CHECK_EQ(o.memory, 256ull << 20);
	CHECK(!o.verbose && !o.trace && o.accel == OPTIONS_ACCEL_AUTO && o.nenv == 0);
	CHECK_EQ(o.argc, 4);
	CHECK_STR(o.argv[0], "prog");
	CHECK_STR(o.argv[1], "-v"); /* parsing stopped at PROGRAM */
	options_free(&o);
}

TEST(options_all_forms)
{
	struct run_options o;
	char err[256];

	CHECK_EQ(PARSE(&o, err, "-m", "512M", "--verbose", "--trace-syscalls", "--accel=tcg",
		       "-eA=1", "--env", "B=2", "--env=C=x=y", "--file", "/etc/hosts",
		       "--file=a:b:/g", "./prog", "arg"),
		 0);
	CHECK_EQ(o.memory, 512ull << 20);
	CHECK(o.verbose && o.trace && o.accel == OPTIONS_ACCEL_TCG);
	CHECK_EQ(o.nenv, 3);
	CHECK_STR(o.env[0], "A=1");
	CHECK_STR(o.env[1], "B=2");
	CHECK_STR(o.env[2], "C=x=y");
	CHECK_EQ(o.nfiles, 2);
	CHECK_STR(o.files[0].host, "/etc/hosts");
	CHECK(o.files[0].guest == NULL);
	CHECK_STR(o.files[1].host, "a:b");
	CHECK_STR(o.files[1].guest, "/g");
	CHECK_EQ(o.argc, 2);
	CHECK_STR(o.argv[0], "./prog");
	options_free(&o);
}

TEST(options_memory_forms)
{
	struct run_options o;
	char err[256];

	CHECK_EQ(PARSE(&o, err, "--memory=2G", "p"), 0);
	CHECK_EQ(o.memory, 2ull << 30);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-m4096K", "p"), 0);
	CHECK_EQ(o.memory, 4ull << 20);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-hm", "64m", "p"), 0); /* a cluster: -h then -m 64m */
	CHECK(o.help && o.memory == 64ull << 20);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-m", "lots", "p"), -EINVAL);
	CHECK_STR(err, "--memory lots: not a size (use e.g. 512M or 2G)");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-m", "512", "p"), -EINVAL);
	CHECK_STR(err, "--memory 512: too small, the minimum is 2M");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-m", "99999999G", "p"), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-m", "3000001", "p"), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--memory"), -EINVAL);
	CHECK_STR(err, "option --memory needs a value");
	options_free(&o);
}

TEST(options_env_forms)
{
	struct run_options o;
	char err[256];

	CHECK_EQ(PARSE(&o, err, "-e", "HOME", "-e", "UNSET", "-e", "X=1", "-e", "X=2", "p"), 0);
	CHECK_EQ(o.nenv, 2);
	CHECK_STR(o.env[0], "HOME=/home/u");
	CHECK_STR(o.env[1], "X=2"); /* the last setting wins, in place */
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-e", "=v", "p"), -EINVAL);
	CHECK_STR(err, "--env '=v': empty variable name");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-e", "E=", "p"), 0);
	CHECK_STR(o.env[0], "E=");
	options_free(&o);
}

TEST(options_file_forms)
{
	struct run_options o;
	char err[256];

	CHECK_EQ(PARSE(&o, err, "--file", "data:rel", "p"), -EINVAL);
	CHECK_STR(err, "--file 'data:rel': GUEST path 'rel' must be absolute");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--file", ":/g", "p"), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--file", "", "p"), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--file", "d:", "p"), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--file", "./d:/srv/d", "p"), 0);
	CHECK_STR(o.files[0].host, "./d");
	CHECK_STR(o.files[0].guest, "/srv/d");
	options_free(&o);
}

TEST(options_publish_forms)
{
	struct run_options o;
	char err[256];

	CHECK_EQ(PARSE(&o, err, "-p", "8080:80", "--publish=127.0.0.2:53:5353/udp", "p"), 0);
	CHECK(o.net == OPTIONS_NET_USER); /* -p implies user networking */
	CHECK_STR(o.publish, ",hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:127.0.0.2:53-:5353");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-p", "80", "p"), -EINVAL);
	CHECK_STR(err, "--publish 80: use HOST:GUEST (e.g. 8080:80)");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-p", "0:80", "p"), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-p", "8080:65536", "p"), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-p", "8080:80/sctp", "p"), -EINVAL);
	CHECK_STR(err, "--publish 8080:80/sctp: the protocol must be tcp or udp");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-p", ":8080:80", "p"), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-p", "80a:80", "p"), -EINVAL);
	options_free(&o);
	/* Once passed to QEMU unchecked: too many parts, a bad address. */
	CHECK_EQ(PARSE(&o, err, "-p", "1:2:3:4", "p"), -EINVAL);
	CHECK_STR(err, "--publish 1:2:3:4: use [IP:]HOST:GUEST (e.g. 8080:80)");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-p", "999.1.1.1:80:80", "p"), -EINVAL);
	CHECK_STR(err, "--publish 999.1.1.1:80:80: '999.1.1.1' is not an IPv4 address");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-p", "0.0.0.0:80:80/tcp/udp", "p"), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-p", "0.0.0.0:8080:80", "p"), 0);
	CHECK_STR(o.publish, ",hostfwd=tcp:0.0.0.0:8080-:80");
	options_free(&o);
}

TEST(options_network_forms)
{
	struct run_options o;
	char err[256];

	CHECK_EQ(PARSE(&o, err, "--net", "tap:tap0", "--ip", "192.168.7.2/24",
		       "--gateway=192.168.7.1", "--machine", "q35", "p"),
		 0);
	CHECK(o.net == OPTIONS_NET_TAP && o.machine == OPTIONS_MACHINE_Q35);
	CHECK_STR(o.tap, "tap0");
	CHECK_STR(o.ip, "192.168.7.2/24");
	CHECK_STR(o.gateway, "192.168.7.1");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--net=user", "--ip", "dhcp", "p"), 0);
	CHECK(o.machine == OPTIONS_MACHINE_MICROVM && o.tap == NULL);
	CHECK_STR(o.ip, "dhcp");
	options_free(&o);
	/* Refused: each message names the flag and value. */
	CHECK_EQ(PARSE(&o, err, "--net", "tap:", "p"), -EINVAL);
	CHECK_STR(err, "--net tap:: not a network interface name");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--net", "tap:a-very-long-name0", "p"), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--net", "tap:a,b", "p"), -EINVAL); /* QEMU's separator */
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--net", "bridge", "p"), -EINVAL);
	CHECK_STR(err, "--net bridge: use none, user or tap:NAME");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--machine", "pc", "p"), -EINVAL);
	CHECK_STR(err, "--machine pc: use microvm or q35");
	options_free(&o);
	const char *bad_ips[] = { "10.0.0.1",	  "10.0.0.1/33", "10.0.0.1/0", "10.0.0/24",
				  "10.0.0.1/24x", "10.0.0.1/",	 "::1/64",     "dhcp6" };
	for (size_t i = 0; i < sizeof(bad_ips) / sizeof(bad_ips[0]); i++) {
		CHECK_EQ(PARSE(&o, err, "--net", "user", "--ip", (char *)bad_ips[i], "p"), -EINVAL);
		CHECK(strstr(err, "use ADDR/PREFIX") != NULL);
		options_free(&o);
	}
	CHECK_EQ(PARSE(&o, err, "--net", "user", "--gateway", "10.0.2.256", "p"), -EINVAL);
	CHECK_STR(err, "--gateway 10.0.2.256: not an IPv4 address");
	options_free(&o);
	/* --ulimit: docker's names and forms, as per-run rlimits lines. */
	CHECK_EQ(PARSE(&o, err, "--ulimit", "nofile=500:1000", "--ulimit", "stack=-1", "--ulimit",
		       "core=0:unlimited", "p"),
		 0);
	CHECK_STR(o.rlimits, "7 500 1000\n3 18446744073709551615 18446744073709551615\n"
			     "4 0 18446744073709551615\n");
	options_free(&o);
	const char *bad_ulimits[] = { "nofile",	  "files=1",	"nofile=",  "nofile=1:",
				      "nofile=x", "nofile=2:1", "nofile=-2" };
	for (size_t i = 0; i < sizeof(bad_ulimits) / sizeof(bad_ulimits[0]); i++) {
		CHECK_EQ(PARSE(&o, err, "--ulimit", (char *)bad_ulimits[i], "p"), -EINVAL);
		CHECK(strncmp(err, "--ulimit ", 9) == 0);
		options_free(&o);
	}
	/* --mac: six octets, unicast, with a network. */
	CHECK_EQ(PARSE(&o, err, "--net", "user", "--mac", "0a:58:0A:00:00:05", "p"), 0);
	CHECK_STR(o.mac, "0a:58:0A:00:00:05");
	options_free(&o);
	const char *bad_macs[] = { "0a:58:0a:00:00",	"0a:58:0a:00:00:5",  "0a:58:0a:00:00:055",
				   "0a-58-0a-00-00-05", "0a:58:0a:00:00:+5", "" };
	for (size_t i = 0; i < sizeof(bad_macs) / sizeof(bad_macs[0]); i++) {
		CHECK_EQ(PARSE(&o, err, "--net", "user", "--mac", (char *)bad_macs[i], "p"),
			 -EINVAL);
		CHECK(strstr(err, "not a MAC address") != NULL);
		options_free(&o);
	}
	CHECK_EQ(PARSE(&o, err, "--net", "user", "--mac", "01:00:5e:00:00:01", "p"), -EINVAL);
	CHECK_STR(err, "--mac 01:00:5e:00:00:01: a multicast address");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--mac", "0a:58:0a:00:00:05", "p"), -EINVAL);
	CHECK_STR(err, "--mac needs a network: --net user or --net tap:NAME");
	options_free(&o);
	/* Flags that contradict each other. */
	CHECK_EQ(PARSE(&o, err, "--ip", "10.0.0.2/8", "p"), -EINVAL);
	CHECK_STR(err, "--ip needs a network: --net user or --net tap:NAME");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--net", "user", "--ip", "dhcp", "--gateway", "10.0.2.2", "p"),
		 -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-p", "80:80", "--net", "tap:tap0", "p"), -EINVAL);
	CHECK(strstr(err, "--publish needs --net user") != NULL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--net", "none", "-p", "80:80", "p"), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--net", "user", "-p", "80:80", "p"), 0);
	options_free(&o);
}

TEST(options_user_forms)
{
	struct run_options o;
	char err[256];

	CHECK_EQ(PARSE(&o, err, "-u", "1000:1000", "p"), 0);
	CHECK_STR(o.user, "1000:1000");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--user=postgres", "-upostgres:www-data", "p"), 0);
	CHECK_STR(o.user, "postgres:www-data"); /* the last one wins */
	options_free(&o);
	const char *bad[] = { "", ":1", "1:", "1:2:3" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(PARSE(&o, err, "-u", (char *)bad[i], "p"), -EINVAL);
		CHECK(strstr(err, "use USER or USER:GROUP") != NULL);
		options_free(&o);
	}
}

static char *token_getenv(const char *name)
{
	static char tok[] = "tok3n\n";

	return strcmp(name, "MONOS_API_TOKEN") == 0 ? tok : NULL;
}

/* --api and --health (cli/agent.c): checked forms, and the token from the
 * file or the environment; no token drops --api. */
TEST(options_agent_flags)
{
	struct run_options o;
	char err[256], file[] = "/tmp/monos-test-token.XXXXXX";
	int fd = mkstemp(file);

	CHECK(fd >= 0 && write(fd, "fr0m-file\n", 10) == 10);
	close(fd);
	CHECK_EQ(PARSE(&o, err, "--api", "10.0.2.15:8000", "--health", "http://:80/up",
		       "--health-retries", "2", "p"),
		 0);
	CHECK_STR(o.agent.api, "10.0.2.15:8000");
	CHECK_STR(o.agent.health, "http://:80/up");
	CHECK_EQ(agent_prepare(&o, err, sizeof(err), token_getenv), 0);
	CHECK_STR(o.agent.token, "tok3n");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--api", "8000", "--api-token-file", file, "p"), 0);
	CHECK_EQ(agent_prepare(&o, err, sizeof(err), token_getenv), 0);
	CHECK_STR(o.agent.token, "fr0m-file");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--api", "8000", "p"), 0);
	CHECK_EQ(agent_prepare(&o, err, sizeof(err), fake_getenv), 0);
	CHECK(!o.agent.api && !o.agent.token); /* the API does not start */
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--api", "1.2.3:80", "p"), -EINVAL);
	CHECK_STR(err, "--api '1.2.3:80': use [IP:]PORT");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--api", "70000", "p"), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--health", "http://host:80/", "p"), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--health", "tcp:80x", "p"), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--health", "tcp:80", "--health-interval", "0", "p"), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--health-timeout", "2", "p"), 0);
	CHECK_EQ(agent_prepare(&o, err, sizeof(err), fake_getenv), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--api-token-file", file, "p"), 0);
	CHECK_EQ(agent_prepare(&o, err, sizeof(err), fake_getenv), -EINVAL);
	CHECK_STR(err, "--api-token-file needs --api");
	options_free(&o);
	unlink(file);
}

/* -w and --hostname (the OCI runtime's process.cwd and hostname too). */
TEST(options_workdir_hostname_forms)
{
	struct run_options o;
	char err[256];

	CHECK_EQ(PARSE(&o, err, "-w", "/srv/app", "--hostname", "box-1.example", "p"), 0);
	CHECK_STR(o.workdir, "/srv/app");
	CHECK_STR(o.hostname, "box-1.example");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "p"), 0);
	CHECK(o.workdir == NULL && o.hostname == NULL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--workdir=tmp", "p"), -EINVAL);
	CHECK_STR(err, "--workdir 'tmp': must be an absolute path");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--hostname", "", "p"), -EINVAL);
	CHECK_STR(err, "--hostname '': 1 to 64 characters");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--hostname", "a b", "p"), -EINVAL);
	CHECK_STR(err, "--hostname 'a b': no blanks, control characters or '/'");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--hostname",
		       "h234567890123456789012345678901234567890123456789012345678901234", "p"),
		 0); /* 64: Linux's limit */
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--hostname",
		       "h2345678901234567890123456789012345678901234567890123456789012345", "p"),
		 -EINVAL);
	options_free(&o);
}

TEST(options_bad_flags)
{
	struct run_options o;
	char err[256];

	CHECK_EQ(PARSE(&o, err, "--bogus", "p"), -EINVAL);
	CHECK_STR(err, "unknown option --bogus");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-x", "p"), -EINVAL);
	CHECK_STR(err, "unknown option -x");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--verbose=1", "p"), -EINVAL);
	CHECK_STR(err, "option --verbose takes no value");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--accel", "xen", "p"), -EINVAL);
	CHECK_STR(err, "--accel xen: use auto, kvm or tcg");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--verbose"), -EINVAL);
	CHECK_STR(err, "no PROGRAM given");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--memory=1x", "--help"), -EINVAL); /* the error comes first */
	options_free(&o);
}

TEST(options_double_dash_and_help)
{
	struct run_options o;
	char err[256];

	CHECK_EQ(PARSE(&o, err, "--verbose", "--", "-prog", "--help"), 0);
	CHECK(o.verbose && !o.help && o.argc == 2);
	CHECK_STR(o.argv[0], "-prog");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--help"), 0);
	CHECK(o.help);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-", "x"), 0); /* "-" is a program name */
	CHECK_STR(o.argv[0], "-");
	options_free(&o);
	CHECK(strstr(options_run_help, "--trace-syscalls") && strstr(options_run_help, "--file") &&
	      strstr(options_run_help, "--accel") && strstr(options_run_help, "--env"));
}

TEST(options_disk_forms)
{
	struct run_options o;
	char err[256];

	CHECK_EQ(PARSE(&o, err, "--disk", "a.img", "--disk=b:c.img:ro", "--disk", "ro", "p"), 0);
	CHECK_EQ(o.ndisks, 3);
	CHECK(!strcmp(o.disks[0].path, "a.img") && !o.disks[0].ro);
	CHECK(!strcmp(o.disks[1].path, "b:c.img") && o.disks[1].ro); /* the last ":ro" */
	CHECK(!strcmp(o.disks[2].path, "ro") && !o.disks[2].ro);
	CHECK(!o.disks[0].drive && !o.disks[0].device); /* made later, by disk.c */
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--disk", "", "p"), -EINVAL);
	CHECK_STR(err, "--disk '': empty FILE");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--disk", "x:ro:ro", "p"), 0);
	CHECK(!strcmp(o.disks[0].path, "x:ro") && o.disks[0].ro);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--disk", "1", "--disk", "2", "--disk", "3", "--disk", "4",
		       "--disk", "5", "--disk", "6", "--disk", "7", "--disk", "8", "--disk", "9",
		       "--disk", "10", "--disk", "11", "--disk", "12", "--disk", "13", "--disk",
		       "14", "--disk", "15", "--disk", "16", "--disk", "17", "p"),
		 -EINVAL);
	CHECK_STR(err, "--disk 17: at most 16 disks (--disk and --seed)");
	options_free(&o);
	CHECK(strstr(options_run_help, "--disk FILE[:ro]") != NULL);
	/* --seed: a disk in the same list, always read-only, ":ro" its name's */
	CHECK_EQ(PARSE(&o, err, "--disk", "a.img", "--seed", "s.iso:ro", "p"), 0);
	CHECK_EQ(o.ndisks, 2);
	CHECK(!strcmp(o.disks[1].path, "s.iso:ro") && o.disks[1].ro);
	CHECK_STR(o.disks[1].flag, "--seed");
	CHECK_STR(o.disks[0].flag, "--disk");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--seed", "", "p"), -EINVAL);
	CHECK_STR(err, "--seed '': empty FILE");
	options_free(&o);
	CHECK(strstr(options_run_help, "--seed FILE") != NULL);
}

/* --volume SRC:DIR[:ro]: a path (with a '/') or a volume's name, which
 * must exist in the data directory; DIR absolute, not "/", no spaces. */
TEST(options_volume_forms)
{
	struct run_options o;
	char err[512], dir[] = "/tmp/test_cli_options.XXXXXX", vols[600], img[700];

	CHECK(mkdtemp(dir) != NULL);
	setenv("XDG_DATA_HOME", dir, 1);
	CHECK_EQ(PARSE(&o, err, "--volume", "./a:b.img:/data:ro", "p"), 0);
	CHECK(!strcmp(o.disks[0].path, "./a:b.img") && o.disks[0].ro);
	CHECK(!strcmp(o.disks[0].target, "/data"));
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--volume", "vol:/data", "p"), -EINVAL);
	CHECK(strstr(err, "no volume named vol") != NULL);
	options_free(&o);
	snprintf(img, sizeof(img), "%s/monos", dir);
	snprintf(vols, sizeof(vols), "%s/monos/volumes", dir);
	CHECK(mkdir(img, 0700) == 0 && mkdir(vols, 0700) == 0);
	snprintf(img, sizeof(img), "%s/vol.img", vols);
	fclose(fopen(img, "w"));
	CHECK_EQ(PARSE(&o, err, "--volume", "vol:/srv/db", "p"), 0);
	CHECK(!strcmp(o.disks[0].path, img) && !o.disks[0].ro);
	CHECK(!strcmp(o.disks[0].target, "/srv/db"));
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--volume", "vol:data", "p"), -EINVAL);
	CHECK(strstr(err, "DIR must be an absolute directory") != NULL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--volume", "vol:/", "p"), -EINVAL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--volume", "vol", "p"), -EINVAL);
	CHECK(strstr(err, "want SRC:DIR[:ro]") != NULL);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--volume", "../x:/data", "p"), 0); /* a path */
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--volume", "b@d:/data", "p"), -EINVAL);
	CHECK(strstr(err, "bad volume name") != NULL);
	options_free(&o);
	unlink(img);
	rmdir(vols);
	snprintf(img, sizeof(img), "%s/monos", dir);
	rmdir(img);
	rmdir(dir);
}

/* -v SRC:DIR[:ro] of a host directory is a share (docker's -v); --rootfs
 * DIR a share of the whole tree, once; --verbose lost its -v. */
TEST(options_share_forms)
{
	struct run_options o;
	char err[256];

	CHECK_EQ(PARSE(&o, err, "-v", "/tmp:/data:ro", "-v", "/:/host", "p"), 0);
	CHECK_EQ(o.nshares, 2);
	CHECK_EQ(o.ndisks, 0);
	CHECK(!o.verbose && o.shares[0].ro && !o.shares[1].ro);
	CHECK_STR(o.shares[0].target, "/data");
	CHECK_STR(o.shares[1].path, "/");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--volume=/tmp/../tmp:/d", "p"), 0);
	CHECK_STR(o.shares[0].path, "/tmp"); /* resolved */
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-v", "/tmp:/", "p"), -EINVAL); /* not over the root */
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--rootfs", "/", "p"), 0);
	CHECK(o.rootfs && o.nshares == 1 && !o.shares[0].target && o.shares[0].ro);
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--rootfs", "/", "--rootfs", "/tmp", "p"), -EINVAL);
	CHECK_STR(err, "--rootfs /tmp: given twice");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "--rootfs", "/nonexistent-monos", "p"), -EINVAL);
	CHECK_STR(err, "--rootfs /nonexistent-monos: not a directory");
	options_free(&o);
	CHECK_EQ(PARSE(&o, err, "-v", "p"), -EINVAL); /* -v wants a value now */
	options_free(&o);
}

int main(void)
{
	RUN(options_defaults);
	RUN(options_detach_forms);
	RUN(options_all_forms);
	RUN(options_memory_forms);
	RUN(options_env_forms);
	RUN(options_file_forms);
	RUN(options_publish_forms);
	RUN(options_network_forms);
	RUN(options_user_forms);
	RUN(options_disk_forms);
	RUN(options_volume_forms);
	RUN(options_share_forms);
	RUN(options_agent_flags);
	RUN(options_workdir_hostname_forms);
	RUN(options_bad_flags);
	RUN(options_double_dash_and_help);
	return unit_summary();
}
