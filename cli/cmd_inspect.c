/*
 * `monos inspect` and `monos stats`: one instance's facts as JSON (from its
 * record), and the live figures its guest reports (a STATS request through
 * the monitor, answered by the kernel: include/monos/channel.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define STATS_TIMEOUT_MS 10000 /* a guest answers within a few ms; TCG under load */

/* A CLOCK_REALTIME ns time as RFC 3339 UTC in JSON, or null when 0. */
static void json_time(long long ns)
{
	struct tm tm;
	time_t secs = (time_t)(ns / 1000000000);
	char buf[64];

	if (ns <= 0 || !gmtime_r(&secs, &tm)) {
		fputs("null", stdout);
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("\"%s.%09lldZ\"", buf, ns % 1000000000);
}

/* A record's number, or null when it has none (or a negative one). */
static void json_num(const struct state_record *r, const char *key)
{
	long long v = state_get_num(r, key, -1);

	if (v < 0)
		fputs("null", stdout);
	else
		printf("%lld", v);
}

/* A record's JSON array as written by the monitor, or [] when absent. */
static const char *json_array(const struct state_record *r, const char *key)
{
	const char *v = state_get(r, key);

	return *v == '[' ? v : "[]";
}

static void inspect_one(const struct state_record *r)
{
	const char *shown = state_shown(r);
	bool exited = !strcmp(state_get(r, "state"), "exited");

	printf("  {\n    \"id\": ");
	state_json_quote(stdout, state_get(r, "id"));
	printf(",\n    \"name\": ");
	state_json_quote(stdout, state_get(r, "name"));
	printf(",\n    \"created\": ");
	json_time(state_get_num(r, "created", 0));
	printf(",\n    \"args\": %s,\n    \"ports\": %s,\n    \"addresses\": %s,\n",
	       json_array(r, "args"), json_array(r, "ports"), json_array(r, "addresses"));
	printf("    \"memory\": ");
	json_num(r, "memory");
	printf(",\n    \"restart_policy\": ");
	state_json_quote(stdout, state_get(r, "restart"));
	printf(",\n    \"restarts\": ");
	json_num(r, "restarts");
	printf(",\n    \"state\": \"%s\",\n    \"running\": %s,\n    \"status\": ", shown,
	       !strcmp(shown, "running") ? "true" : "false");
	if (r->live || exited)
		json_num(r, "status");
	else
		fputs("null", stdout); /* the monitor was lost: nobody saw the end */
	printf(",\n    \"health\": "); /* the agent's check, while it runs */
	if (r->live && !strcmp(shown, "running") && *state_get(r, "health") &&
	    strcmp(state_get(r, "health"), "none"))
		state_json_quote(stdout, state_get(r, "health"));
	else
		fputs("null", stdout);
	printf(",\n    \"monitor_lost\": %s,\n    \"started\": ",
	       !r->live && !exited ? "true" : "false");
	json_time(state_get_num(r, "started", 0));
	printf(",\n    \"finished\": ");
	json_time(exited ? state_get_num(r, "finished", 0) : 0);
	for (size_t i = 0; i < 2; i++) { /* pids only while live: else reused */
		static const char *const pids[] = { "monitor_pid", "qemu_pid" };

		printf(",\n    \"%s\": ", pids[i]);
		if (r->live && state_get_num(r, pids[i], 0) > 0)
			json_num(r, pids[i]);
		else
			fputs("null", stdout);
	}
	printf(",\n    \"dir\": "); /* record, log, sock (cli/state.c) */
	state_json_quote(stdout, r->dir);
	printf("\n  }");
}

int cmd_inspect_main(int argc, char **argv)
{
	struct state_record *r = malloc(sizeof(*r));
	char err[512];
	int rc = 0;
	bool first = true;

	if (!r || !argc) {
		msg_error("inspect: no instance given (see 'monos help inspect')");
		free(r);
		return CLI_EXIT_ERROR;
	}
	printf("[\n");
	for (int i = 0; i < argc; i++) {
		if (state_find(argv[i], r, err, sizeof(err)) < 0) {
			msg_error("%s", err);
			rc = CLI_EXIT_ERROR;
			continue;
		}
		printf("%s", first ? "" : ",\n");
		inspect_one(r);
		first = false;
	}
	printf("\n]\n");
	free(r);
	return rc;
}

/* "1.5MiB": bytes for a person. */
static void human(unsigned long long v, char *out, size_t n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	size_t u = 0;

	while (d >= 1024 && u + 1 < sizeof(units) / sizeof(units[0]))
		d /= 1024, u++;
	snprintf(out, n, u ? "%.1f%s" : "%.0f%s", d, units[u]);
}

/* One row of `monos stats`, from the monitor's answer. */
static void stats_row(const struct state_record *r, const char *reply, bool raw)
{
	unsigned long long v[8];
	char used[16], total[16], rx[16], tx[16];

	if (raw || sscanf(reply,
			  "mem_total=%llu mem_used=%llu cpu_ns=%llu uptime_ns=%llu rx_bytes=%llu "
			  "rx_packets=%llu tx_bytes=%llu tx_packets=%llu",
			  &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) {
		printf("%.12s %s\n", state_get(r, "id"), reply);
		return;
	}
	human(v[1], used, sizeof(used));
	human(v[0], total, sizeof(total));
	human(v[4], rx, sizeof(rx));
	human(v[6], tx, sizeof(tx));
	printf("%-12.12s  %-20s  %9s / %-9s  %8.2fs  %9s / %-9s  %llu / %llu\n", state_get(r, "id"),
	       state_get(r, "name"), used, total, (double)v[2] / 1e9, rx, tx, v[5], v[7]);
}

/* The figures of one live instance: 0, or -1 (said). */
static int stats_one(const struct state_record *r, const char *what, bool raw)
{
	char reply[MONITOR_REPLY_MAX];
	int rc = monitor_request(r->dir, "stats", reply, sizeof(reply), STATS_TIMEOUT_MS);

	if (rc < 0 || !strncmp(reply, "error: ", 7)) {
		msg_error("stats %s: %s", what, rc < 0 ? strerror(-rc) : reply + 7);
		return -1;
	}
	stats_row(r, reply, raw);
	return 0;
}

int cmd_inspect_stats(int argc, char **argv)
{
	struct state_record *recs = NULL, *r = malloc(sizeof(*r));
	bool raw = false;
	char err[512];
	size_t n = 0;
	int rc = 0;

	for (; argc > 0 && argv[0][0] == '-'; argc--, argv++) {
		if (!strcmp(argv[0], "--raw"))
			raw = true;
		else if (strcmp(argv[0], "--no-stream")) { /* docker's; one shot here anyway */
			msg_error("stats: unknown option '%s' (see 'monos help stats')", argv[0]);
			free(r);
			return CLI_EXIT_ERROR;
		}
	}
	if (!r || (!argc && state_list(&recs, &n, err, sizeof(err)) < 0)) {
		msg_error("%s", r ? err : "out of memory");
		free(r);
		return CLI_EXIT_ERROR;
	}
	if (!raw)
		printf("%-12s  %-20s  %-21s  %9s  %-21s  %s\n", "ID", "NAME", "MEM USAGE / LIMIT",
		       "CPU TIME", "NET RX / TX", "PACKETS RX / TX");
	for (int i = 0; i < argc; i++) {
		if (state_find(argv[i], r, err, sizeof(err)) < 0) {
			msg_error("%s", err);
			rc = CLI_EXIT_ERROR;
		} else if (!r->live) {
			msg_error("stats %s: the instance is not running", argv[i]);
			rc = CLI_EXIT_ERROR;
		} else if (stats_one(r, argv[i], raw) < 0) {
			rc = CLI_EXIT_ERROR;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (recs[i].live && !strcmp(state_shown(&recs[i]), "running"))
			stats_one(&recs[i], state_get(&recs[i], "name"), raw);
	free(recs);
	free(r);
	return rc;
}
