/*
 * Unit tests of the manifest reader (cli/manifest*.c): a
 * full manifest read into the model, its canonical JSON read back to the
 * same model, and bad inputs, each refused with "FILE:LINE: KEY: reason"
 * (unknown keys, wrong types, a missing program, ports out of range, paths
 * that escape, bad durations and policies).
 */
#include "unit.h"

#include "../../cli/agent.c"
#include "../../cli/image.c"
#include "../../cli/image_names.c"
#include "../../cli/manifest.c"
#include "../../cli/manifest_json.c"
#include "../../cli/manifest_run.c"
#include "../../cli/msg.c"
#include "../../cli/options.c"
#include "../../cli/state.c"
#include "../../cli/volume.c"
#include "../../kernel/lib/cmdline.c"
#include "../../kernel/lib/cpio.c"
#include "../../kernel/lib/fmt.c"
#include "../../kernel/lib/yaml.c"
#include "../../kernel/lib/yaml_node.c"
#include "../../kernel/lib/yaml_scalar.c"

static const char full[] = "program: /usr/bin/redis-server\n"
			   "args: [--port, 6379]\n"
			   "env:\n"
			   "  Z: last\n"
			   "  A: 1\n"
			   "files:\n"
			   "  - conf/redis.conf:/etc/redis.conf\n"
			   "  - data\n"
			   "  - /usr/share/zoneinfo\n"
			   "memory: 512M\n"
			   "machine: q35\n"
			   "network: {mode: user, address: 10.0.2.20/24, gateway: 10.0.2.2}\n"
			   "ports: ['6379:6379', 127.0.0.1:8080:80/udp]\n"
			   "volumes: [cache:/var/cache, ./disk.img:/data:ro]\n"
			   "health: {type: tcp, port: 6379, interval: 5s, retries: 2}\n"
			   "registry: {etcd: 'http://10.0.2.2:2379', service: cache, ttl: 1m}\n"
			   "restart: on-failure:5\n";

/* Parse `text` as /proj/monos.yaml: the return code, the message in err. */
static int parse(const char *text, struct manifest *m, char *err, size_t n)
{
	memset(m, 0, sizeof(*m));
	err[0] = 0;
	return manifest_parse(text, strlen(text), "monos.yaml", "/proj", m, err, n);
}

TEST(manifest_full)
{
	struct manifest m;
	char err[512];

	CHECK_EQ(parse(full, &m, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_STR(m.program, "/usr/bin/redis-server");
	CHECK_EQ(m.nargs, 2);
	CHECK_STR(m.args[1], "6379");
	CHECK_EQ(m.nenv, 2);
	CHECK_STR(m.env[0], "A=1"); /* sorted */
	CHECK_STR(m.env[1], "Z=last");
	CHECK_EQ(m.nfiles, 3);
	CHECK_STR(m.files[0], "/proj/conf/redis.conf:/etc/redis.conf");
	CHECK_STR(m.files[1], "/proj/data:/data"); /* relative, no GUEST: under / */
	CHECK_STR(m.files[2], "/usr/share/zoneinfo:/usr/share/zoneinfo");
	CHECK_STR(m.memory, "512M");
	CHECK_STR(m.machine, "q35");
	CHECK_STR(m.net, "user");
	CHECK_STR(m.ip, "10.0.2.20/24");
	CHECK_STR(m.gateway, "10.0.2.2");
	CHECK_EQ(m.nports, 2);
	CHECK_STR(m.volumes[1], "/proj/disk.img:/data:ro");
	CHECK(m.health.kind == MANIFEST_HEALTH_TCP && m.health.port == 6379);
	CHECK_EQ(m.health.interval_ms, 5000);
	CHECK_EQ(m.health.timeout_ms, HEALTH_DEFAULT_TIMEOUT_MS);
	CHECK_EQ(m.health.retries, 2);
	CHECK_STR(m.reg_etcd, "http://10.0.2.2:2379");
	CHECK_STR(m.reg_service, "cache");
	CHECK_STR(m.reg_ttl, "60");
	CHECK_STR(m.restart, "on-failure:5");
	manifest_free(&m);
}

/* The JSON of a model reads back to the same JSON: the image's
 * configuration is the manifest's model, whatever the YAML looked like. */
/* found by fuzz_manifest: an empty env mapping sorted a NULL array */
TEST(manifest_empty_env)
{
	struct manifest m;
	char err[512];

	CHECK_EQ(parse("program: x\nenv: {}\n", &m, err, sizeof(err)), 0);
	CHECK_EQ(m.nenv, 0);
	manifest_free(&m);
}

TEST(manifest_json_round_trip)
{
	struct manifest m, back;
	char err[512], *json, *again;

	CHECK_EQ(parse(full, &m, err, sizeof(err)), 0);
	json = manifest_json(&m);
	CHECK(json != NULL);
	CHECK(strstr(json, "\"env\":{\"A\":\"1\",\"Z\":\"last\"}") != NULL);
	CHECK(strstr(json, "files") == NULL); /* packed, not configured */
	CHECK_EQ(parse(json, &back, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	again = manifest_json(&back);
	CHECK_STR(again, json);
	free(json);
	free(again);
	manifest_free(&m);
	manifest_free(&back);
}

/* Each bad manifest and the start of the error it must give. */
static const struct {
	const char *text, *err;
} bad[] = {
	{ "", "monos.yaml:1: program: missing" },
	{ "args: [a]\n", "monos.yaml:1: program: missing" },
	{ "- a\n", "monos.yaml:1: manifest: expected a mapping" },
	{ "program: x\nprogam: y\n", "monos.yaml:2: progam: unknown key" },
	{ "program: [a]\n", "monos.yaml:1: program: expected a string" },
	{ "program: x\nargs: a b\n", "monos.yaml:2: args: expected a list" },
	{ "program: x\nargs:\n  - {a: 1}\n", "monos.yaml:3: args: expected a string" },
	{ "program: x\nenv: [A=1]\n", "monos.yaml:2: env: expected a mapping" },
	{ "program: x\nenv:\n  A: [1]\n", "monos.yaml:3: env: expected a string" },
	{ "program: x\nmemory: lots\n", "monos.yaml:2: memory: --memory lots: not a size" },
	{ "program: x\nmemory: 1M\n", "monos.yaml:2: memory: --memory 1M: too small" },
	{ "program: x\nmachine: pc\n", "monos.yaml:2: machine: --machine pc: use microvm" },
	{ "program: x\nports:\n  - 8080:80\n  - 70000:80\n",
	  "monos.yaml:4: ports: --publish 70000:80: ports are numbers from 1 to 65535" },
	{ "program: x\nports: 8080:80\n", "monos.yaml:2: ports: expected a list" },
	{ "program: x\nregistry: {service: a}\n", "monos.yaml:2: registry: needs etcd" },
	{ "program: x\nregistry: {etcd: 'http://db:2379', service: a}\n",
	  "monos.yaml:2: registry.etcd: --etcd 'http://db:2379': use http://IP:PORT" },
	{ "program: x\nregistry: {etcd: 'http://1.2.3.4:1', service: a/b}\n",
	  "monos.yaml:2: registry.service: --service 'a/b'" },
	{ "program: x\nregistry: {etcd: 'http://1.2.3.4:1', service: a, ttl: 1500ms}\n",
	  "monos.yaml:2: registry.ttl: whole seconds" },
	{ "program: x\nregistry: {etcd: 'http://1.2.3.4:1', service: a, ttl: 1s}\n",
	  "monos.yaml:2: registry.ttl: --etcd-ttl '1': want whole seconds, 5 to 3600" },
	{ "program: x\nregistry: {etcd: 'http://1.2.3.4:1', service: a, tll: 5}\n",
	  "monos.yaml:2: registry: unknown key 'tll'" },
	{ "program: x\nfiles: [a:/b/../../etc]\n",
	  "monos.yaml:2: files: '/b/../../etc': the guest path escapes" },
	{ "program: x\nfiles: [a:rel]\n", "monos.yaml:2: files: 'rel': the guest path must be" },
	{ "program: x\nfiles: [../secret:/s]\n",
	  "monos.yaml:2: files: '../secret' escapes the manifest's directory /proj" },
	{ "program: x\nvolumes: [data]\n", "monos.yaml:2: volumes: 'data': want SRC:DIR" },
	{ "program: x\nvolumes: ['d:/a/../b']\n", "monos.yaml:2: volumes: '/a/../b': the guest" },
	{ "program: x\nvolumes: ['b@d:/a']\n", "monos.yaml:2: volumes: 'b@d': not a volume name" },
	/* found by fuzz_manifest: an empty DIR was read past its end */
	{ "program: x\nvolumes: ['x:']\n", "monos.yaml:2: volumes: 'x:': DIR must be" },
	{ "program: x\nnetwork: wifi\n", "monos.yaml:2: network: --net wifi" },
	{ "program: x\nnetwork:\n  mode: user\n  addr: dhcp\n",
	  "monos.yaml:4: network: unknown key 'addr'" },
	{ "program: x\nnetwork: {address: 1.2.3/8}\n", "monos.yaml:2: network: --ip 1.2.3/8" },
	{ "program: x\nhealth: {type: http}\n", "monos.yaml:2: health: needs a type" },
	{ "program: x\nhealth: {type: udp, port: 1}\n", "monos.yaml:2: health.type: 'udp'" },
	{ "program: x\nhealth: {type: tcp, port: 0}\n", "monos.yaml:2: health.port: expected" },
	{ "program: x\nhealth:\n  type: tcp\n  port: 1\n  interval: soon\n",
	  "monos.yaml:5: health.interval: 'soon': not a duration" },
	{ "program: x\nhealth: {type: tcp, port: 1, path: /x}\n", "monos.yaml:2: health.path" },
	{ "program: x\nhealth: {type: tcp, port: 1, every: 1s}\n",
	  "monos.yaml:2: health: unknown key 'every'" },
	{ "program: x\nrestart: sometimes\n", "monos.yaml:2: restart: 'sometimes'" },
	{ "program: x\nrestart: on-failure:0\n", "monos.yaml:2: restart: 'on-failure:0'" },
	{ "program: x\nrestart:\n", "monos.yaml:2: restart: no value" },
	{ "program: x\n---\nprogram: y\n", "monos.yaml:3: manifest: one YAML document" },
	{ "program: 'x\n", "monos.yaml:1: " },
};

TEST(manifest_bad_inputs)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct manifest m;
		char err[512];

		CHECK_EQ(parse(bad[i].text, &m, err, sizeof(err)), -EINVAL);
		if (strncmp(err, bad[i].err, strlen(bad[i].err)))
			printf("  case %zu: got \"%s\"\n", i, err);
		CHECK(strncmp(err, bad[i].err, strlen(bad[i].err)) == 0);
		manifest_free(&m);
	}
}

/* The layers: manifest first, then the command line over it. */
TEST(manifest_apply_then_flags)
{
	struct manifest m;
	struct run_options o;
	char err[512], *argv[] = { "-m", "1G", "-e", "Z=flag", "-p", "9000:90", "arg", NULL };

	CHECK_EQ(parse("program: x\nmemory: 512M\nenv: {Z: m, A: m}\nports: ['8000:80']\n", &m, err,
		       sizeof(err)),
		 0);
	options_init(&o);
	CHECK_EQ(manifest_apply(&m, &o, err, sizeof(err)), 0);
	CHECK_EQ(o.memory, 512ull << 20);
	CHECK_EQ(options_parse_args(7, argv, &o, err, sizeof(err), getenv), 0);
	CHECK_EQ(o.memory, 1ull << 30); /* a flag overrides its key */
	CHECK_EQ(o.nenv, 2);
	CHECK_STR(o.env[1], "Z=flag"); /* same name replaced, in place */
	CHECK(strstr(o.publish, "8000-:80") && strstr(o.publish, "9000-:90")); /* lists add */
	CHECK(o.net == OPTIONS_NET_USER);
	CHECK_EQ(o.argc, 1);
	options_free(&o);
	manifest_free(&m);
}

/* registry: and health: become --etcd, --service, --etcd-ttl and --health
 * with its timings (the agent's arguments). */
TEST(manifest_apply_registry_health)
{
	struct manifest m;
	struct run_options o;
	char err[512];

	CHECK_EQ(parse("program: x\nhealth: {type: http, port: 80, path: /ok, interval: 1500ms}\n"
		       "registry: {etcd: 'http://10.0.2.2:2379', service: web, ttl: 30s}\n",
		       &m, err, sizeof(err)),
		 0);
	options_init(&o);
	CHECK_EQ(manifest_apply(&m, &o, err, sizeof(err)), 0);
	CHECK_STR(o.agent.etcd, "http://10.0.2.2:2379");
	CHECK_STR(o.agent.service, "web");
	CHECK_STR(o.agent.etcd_ttl, "30");
	CHECK_STR(o.agent.health, "http://:80/ok");
	CHECK_STR(o.agent.interval, "1.500");
	CHECK_STR(o.agent.retries, "3");
	options_free(&o);
	manifest_free(&m);
}

int main(void)
{
	RUN(manifest_full);
	RUN(manifest_empty_env);
	RUN(manifest_json_round_trip);
	RUN(manifest_bad_inputs);
	RUN(manifest_apply_then_flags);
	RUN(manifest_apply_registry_health);
	return unit_summary();
}
