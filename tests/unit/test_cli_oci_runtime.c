/*
 * Unit tests of the OCI runtime's command line and state (cli/cmd_runtime.c,
 * cli/cmd_runtime_state.c): runc's flag forms, ids, the log entries in text
 * and json, Go's RFC 3339 times, the state file's round trip and the state
 * JSON as runc prints it.  The monitor is the test's: monitor_state answers
 * what the test sets.
 */
#include "unit.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "../../cli/agent.c"
#include "../../cli/cmd_runtime.c"
#include "../../cli/cmd_runtime_state.c"
#include "../../cli/msg.c"
#include "../../cli/oci_bundle.c"
#include "../../cli/oci_config.c"
#include "../../cli/oci_pod.c"
#include "../../cli/options.c"
#include "../../cli/state.c"
#include "../../cli/volume.c"
#include "../../kernel/lib/cmdline.c"
#include "../../kernel/lib/json.c"
#include "../../kernel/lib/json_node.c"
#include "../../kernel/lib/json_string.c"

/* What the fake monitor answers: NULL for "no live monitor". */
static const char *fake_state;

int monitor_state(const char *dir, char *state, size_t n, int *status, pid_t *qemu)
{
	(void)dir;
	*status = -1;
	*qemu = 0;
	if (!fake_state)
		return -ECONNREFUSED;
	snprintf(state, n, "%s", fake_state);
	return 0;
}

/* The other commands are not under test here. */
int cmd_runtime_life_create(int argc, char **argv)
{
	(void)argc, (void)argv;
	return 1;
}
int cmd_runtime_life_start(int argc, char **argv)
{
	(void)argc, (void)argv;
	return 1;
}
int cmd_runtime_life_kill(int argc, char **argv)
{
	(void)argc, (void)argv;
	return 1;
}
int cmd_runtime_life_delete(int argc, char **argv)
{
	(void)argc, (void)argv;
	return 1;
}
int cmd_runtime_exec(int argc, char **argv)
{
	(void)argc, (void)argv;
	return 1;
}

TEST(runtime_ids)
{
	CHECK(runtime_id_ok("abc-1.2_x+y"));
	CHECK(runtime_id_ok("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	CHECK(!runtime_id_ok(""));
	CHECK(!runtime_id_ok("."));
	CHECK(!runtime_id_ok(".."));
	CHECK(!runtime_id_ok("a/b"));
	CHECK(!runtime_id_ok("a b"));
}

TEST(runtime_flag_forms)
{
	char *argv[] = { "--bundle", "/b", "-pid-file=/p", "--console-socket", NULL };
	bool missing = false;
	int i = 0;

	CHECK_STR(cmd_runtime_flag(4, argv, &i, "bundle", &missing), "/b");
	CHECK_EQ(i, 1);
	i = 2;
	CHECK(cmd_runtime_flag(4, argv, &i, "bundle", &missing) == NULL && !missing);
	CHECK_STR(cmd_runtime_flag(4, argv, &i, "pid-file", &missing), "/p");
	i = 3;
	CHECK(cmd_runtime_flag(4, argv, &i, "console-socket", &missing) == NULL && missing);
	CHECK(cmd_runtime_switch("--force", "force", 'f'));
	CHECK(cmd_runtime_switch("-f", "force", 'f'));
	CHECK(cmd_runtime_switch("-force", "force", 'f'));
	CHECK(!cmd_runtime_switch("--forced", "force", 'f'));
}

TEST(runtime_times_as_go)
{
	char buf[64];

	runtime_rfc3339(buf, sizeof(buf), 1796665315648084771LL);
	CHECK_STR(buf, "2026-12-07T17:41:55.648084771Z");
	runtime_rfc3339(buf, sizeof(buf), 1796665315000000000LL);
	CHECK_STR(buf, "2026-12-07T17:41:55Z");
	runtime_rfc3339(buf, sizeof(buf), 1796665315120000000LL);
	CHECK_STR(buf, "2026-12-07T17:41:55.12Z"); /* trailing zeros dropped */
}

TEST(runtime_log_entries)
{
	char path[] = "/tmp/monos-oci-log-XXXXXX", line[512];
	int fd = mkstemp(path);
	FILE *f;

	close(fd);
	cmd_runtime_g.log = path;
	cmd_runtime_g.log_json = true;
	freopen("/dev/null", "w", stderr);
	cmd_runtime_fail("container \"x\"\tdoes not exist");
	cmd_runtime_g.log_json = false;
	cmd_runtime_fail("second");
	f = fopen(path, "r");
	CHECK(f && fgets(line, sizeof(line), f));
	const char *head =
		"{\"level\":\"error\",\"msg\":\"container \\\"x\\\"\\u0009does not exist\","
		"\"time\":\"";
	CHECK(strncmp(line, head, strlen(head)) == 0);
	CHECK(f && fgets(line, sizeof(line), f));
	CHECK(strncmp(line, "time=\"", 6) == 0 && strstr(line, "\" level=error msg=\"second\"\n"));
	if (f)
		fclose(f);
	unlink(path);
	cmd_runtime_g.log = NULL;
}

TEST(runtime_state_round_trip)
{
	char root[] = "/tmp/monos-oci-root-XXXXXX";
	struct runtime_state s = { .created_ns = 1796665315648084771LL,
				   .pid = 4242,
				   .exit_status = -1 },
			     r;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	CHECK(mkdtemp(root) != NULL);
	cmd_runtime_g.root = root;
	strcpy(s.id, "c1");
	snprintf(s.dir, sizeof(s.dir), "%s/c1", root);
	mkdir(s.dir, 0700);
	strcpy(s.bundle, "/b \"q\"");
	strcpy(s.rootfs, "/b/rootfs");
	strcpy(s.status, "created");
	CHECK_EQ(cmd_runtime_state_save(&s), 0);
	fake_state = "created";
	CHECK_EQ(cmd_runtime_state_load("c1", &r), 0);
	CHECK_STR(r.bundle, "/b \"q\"");
	CHECK_STR(r.status, "created");
	CHECK_EQ(r.pid, 4242);
	fake_state = "restarting";
	CHECK_EQ(cmd_runtime_state_load("c1", &r), 0);
	CHECK_STR(r.status, "running");
	fake_state = NULL; /* no live monitor: stopped, pid 0 */
	CHECK_EQ(cmd_runtime_state_load("c1", &r), 0);
	CHECK_STR(r.status, "stopped");
	CHECK_EQ(r.pid, 0);
	f = open_memstream(&text, &len);
	cmd_runtime_state_json(f, &r, true);
	fclose(f);
	CHECK_STR(text,
		  "{\n  \"ociVersion\": \"" OCI_SPEC_VERSION "\",\n  \"id\": \"c1\",\n"
		  "  \"pid\": 0,\n  \"status\": \"stopped\",\n  \"bundle\": \"/b \\\"q\\\"\",\n"
		  "  \"rootfs\": \"/b/rootfs\",\n"
		  "  \"created\": \"2026-12-07T17:41:55.648084771Z\",\n  \"owner\": \"\"\n}\n");
	free(text);
	CHECK_EQ(cmd_runtime_state_load("c2", &r), 1); /* does not exist */
	unlink(s.dir);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK_EQ(system(cmd), 0);
}

int main(void)
{
	RUN(runtime_ids);
	RUN(runtime_flag_forms);
	RUN(runtime_times_as_go);
	RUN(runtime_log_entries);
	RUN(runtime_state_round_trip);
	return unit_summary();
}
