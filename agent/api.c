/*
 * The management API's endpoints (docs/agent.md lists them with examples),
 * each a JSON document built from /proc and /proc/monos/counters:
 *   GET  /healthz            liveness and the health state (no token)
 *   GET  /v1/os              version, uptime, hostname, kernel command line
 *   GET  /v1/os/memory       the memory counters
 *   GET  /v1/os/log          the kernel log's newest 16 KiB, as lines
 *   GET  /v1/processes       every process: pid, ppid, name, state, threads,
 *                            resident bytes, CPU seconds
 *   GET  /v1/net             interfaces with their counters; TCP by state
 *   GET  /v1/app             PID 1: arguments, environment names (values
 *                            may be secrets), state, health
 *   POST /v1/app/signal?signal=SIG     a signal to PID 1 (number or name)
 *   POST /v1/os/shutdown[?grace=S]     SIGTERM to PID 1, SIGKILL S seconds
 *                            later (default 10) if it still runs
 *   GET  /metrics            Prometheus text (metrics.c)
 * Parameters travel in the query string (or an equal form body), so the
 * agent needs no JSON parser for its untrusted input.
 */
#include "agent.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define FILE_MAX	   65536 /* a /proc file the API reads */
#define SHUTDOWN_GRACE_S   10	 /* docker stop's default */
#define SHUTDOWN_GRACE_MAX 3600
#define CLK_TCK		   100 /* USER_HZ: /proc/PID/stat's time unit */

static char file[FILE_MAX];

static void str_member(struct out *o, const char *key, const char *v, bool comma)
{
	out_printf(o, "%s\"%s\":", comma ? "," : "", key);
	out_json_str(o, v, strlen(v));
}

/* A query parameter's value (`name=value`, '&'-separated), or false. */
static bool param(const struct http_request *r, const char *name, struct http_str *v)
{
	struct http_str q = r->query.n ? r->query : r->body;
	size_t n = strlen(name);

	for (size_t i = 0; i < q.n;) {
		const char *amp = memchr(q.p + i, '&', q.n - i);
		size_t end = amp ? (size_t)(amp - q.p) : q.n;
		if (end - i > n && !memcmp(q.p + i, name, n) && q.p[i + n] == '=') {
			*v = (struct http_str){ q.p + i + n + 1, end - i - n - 1 };
			return true;
		}
		i = end + 1;
	}
	return false;
}

static void os(struct out *o)
{
	struct utsname u;
	double up = 0;
	long n;

	uname(&u);
	if (sys_read_file("/proc/uptime", file, sizeof(file)) > 0)
		up = strtod(file, NULL);
	out_add(o, "{", 1);
	str_member(o, "sysname", "monos", false);
	str_member(o, "release", u.release, true);
	str_member(o, "version", u.version, true);
	str_member(o, "machine", u.machine, true);
	str_member(o, "hostname", u.nodename, true);
	out_printf(o, ",\"uptime_seconds\":%.2f", up);
	if ((n = sys_read_file(AGENT_CMDLINE, file, sizeof(file))) >= 0) {
		while (n && file[n - 1] == '\n')
			file[--n] = 0;
		str_member(o, "cmdline", file, true);
	}
	out_add(o, "}\n", 2);
}

struct json_counters {
	struct out *o;
	const char *prefix; /* only these counters, prefix dropped */
	bool comma;
};

static void counter_member(void *ctx, char **w, int nw)
{
	struct json_counters *j = ctx;
	size_t n = strlen(j->prefix);

	if (nw != 2 || strncmp(w[0], j->prefix, n))
		return;
	out_printf(j->o, "%s\"%s\":%s", j->comma ? "," : "", w[0] + n, w[1]);
	j->comma = true;
}

static int memory(struct out *o)
{
	struct json_counters j = { o, "memory_", false };

	out_add(o, "{", 1);
	if (sys_counters(counter_member, &j) < 0)
		return 503;
	out_add(o, "}\n", 2);
	return 200;
}

/* One process from /proc/PID/stat: "pid (comm) S ppid ..." (comm may hold
 * spaces and parentheses: the last ')' ends it). */
static void process(struct out *o, const char *pid, bool comma)
{
	char path[300], *open_p, *close_p, state;
	unsigned long utime, stime, rss;
	long threads;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if (sys_read_file(path, file, sizeof(file)) <= 0 || !(open_p = strchr(file, '(')) ||
	    !(close_p = strrchr(file, ')')))
		return;
	*close_p = 0;
	if (sscanf(close_p + 2,
		   "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %ld %*d %*u "
		   "%*u %lu",
		   &state, &ppid, &utime, &stime, &threads, &rss) != 6)
		return;
	out_printf(o, "%s{\"pid\":%s,\"ppid\":%d,", comma ? "," : "", pid, ppid);
	out_add(o, "\"name\":", 7);
	out_json_str(o, open_p + 1, strlen(open_p + 1));
	out_printf(o, ",\"state\":\"%c\",\"threads\":%ld,\"resident_bytes\":%lu,", state, threads,
		   rss * 4096);
	out_printf(o, "\"cpu_seconds\":%.2f}", (double)(utime + stime) / CLK_TCK);
}

static int processes(struct out *o)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool comma = false;

	if (!d)
		return 503;
	out_add(o, "[", 1);
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		size_t before = o->len;
		process(o, e->d_name, comma);
		comma = comma || o->len != before;
	}
	closedir(d);
	out_add(o, "]\n", 2);
	return 200;
}

/* /proc/net/dev's lines after its two header lines. */
static void interfaces(struct out *o)
{
	char *line, *save = NULL;
	bool comma = false;
	int no = 0;

	if (sys_read_file("/proc/net/dev", file, sizeof(file)) < 0)
		return;
	for (line = strtok_r(file, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[32];
		unsigned long v[16];
		if (++no <= 2 ||
		    sscanf(line,
			   " %31[^:]: %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu "
			   "%lu",
			   name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8],
			   &v[9], &v[10], &v[11], &v[12], &v[13], &v[14], &v[15]) != 17)
			continue;
		out_printf(o, "%s{\"name\":", comma ? "," : "");
		out_json_str(o, name, strlen(name));
		out_printf(
			o,
			",\"rx_bytes\":%lu,\"rx_packets\":%lu,\"rx_errors\":%lu,\"rx_drops\":%lu,"
			"\"tx_bytes\":%lu,\"tx_packets\":%lu,\"tx_errors\":%lu,\"tx_drops\":%lu}",
			v[0], v[1], v[2], v[3], v[8], v[9], v[10], v[11]);
		comma = true;
	}
}

static void tcp_member(void *ctx, char **w, int nw)
{
	struct json_counters *j = ctx;

	if (nw != 3 || strcmp(w[0], "tcp"))
		return;
	out_printf(j->o, "%s\"%s\":%s", j->comma ? "," : "", w[1], w[2]);
	j->comma = true;
}

static int net(struct out *o)
{
	struct json_counters j = { o, "", false };

	out_add(o, "{\"interfaces\":[", 15);
	interfaces(o);
	out_add(o, "],\"tcp\":{", 9);
	sys_counters(tcp_member, &j);
	out_add(o, "}}\n", 3);
	return 200;
}

/* A NUL-separated list as a JSON array; `names` cuts each at '='. */
static void nul_list(struct out *o, const char *path, bool names)
{
	long n = sys_read_file(path, file, sizeof(file));
	bool comma = false;

	out_add(o, "[", 1);
	for (long i = 0; i < n;) {
		size_t len = strlen(file + i), shown = len;
		const char *eq = names ? memchr(file + i, '=', len) : NULL;
		if (eq)
			shown = (size_t)(eq - (file + i));
		if (comma)
			out_add(o, ",", 1);
		out_json_str(o, file + i, shown);
		comma = true;
		i += (long)len + 1;
	}
	out_add(o, "]", 1);
}

static int app(struct out *o)
{
	char *p;
	char state = '?';

	if (sys_read_file("/proc/1/stat", file, sizeof(file)) > 0 && (p = strrchr(file, ')')))
		state = p[2];
	out_add(o, "{\"args\":", 8);
	nul_list(o, "/proc/1/cmdline", false);
	out_add(o, ",\"env_names\":", 13);
	nul_list(o, "/proc/1/environ", true);
	out_printf(o, ",\"state\":\"%s\"", state == 'Z' ? "exited" : "running");
	out_printf(o, ",\"health\":{\"status\":\"%s\",\"failing_streak\":%u,\"last\":",
		   health_state_name(health_state()), health_failing_streak());
	out_json_str(o, health_last(), strlen(health_last()));
	out_add(o, "}}\n", 3);
	return 200;
}

static int app_signal(const struct http_request *r, struct out *o)
{
	struct http_str v;
	int sig = param(r, "signal", &v) ? sys_signal_number(v.p, v.n) : 0;
	int err;

	if (!sig) {
		out_printf(o, "{\"error\":\"signal=NUMBER or NAME needed\"}\n");
		return 400;
	}
	if ((err = sys_command("kill %d", sig))) {
		out_printf(o, "{\"error\":\"the kernel refused: %d\"}\n", err);
		return 500;
	}
	out_printf(o, "{\"signal\":%d}\n", sig);
	return 200;
}

static int shutdown_req(const struct http_request *r, struct api_reply *rep)
{
	struct http_str v;
	unsigned long grace = SHUTDOWN_GRACE_S;
	char num[16];

	if (param(r, "grace", &v)) {
		char *end;
		if (!v.n || v.n >= sizeof(num))
			return 400;
		memcpy(num, v.p, v.n);
		num[v.n] = 0;
		grace = strtoul(num, &end, 10);
		if (*end || grace > SHUTDOWN_GRACE_MAX)
			return 400;
	}
	rep->shutdown_ms = grace ? grace * 1000 : 1; /* 0 would mean "none" */
	out_printf(&rep->body, "{\"shutdown\":true,\"grace_seconds\":%lu}\n", grace);
	return 202;
}

/* The kernel log's newest 16 KiB, as lines. */
static int os_log(struct out *o)
{
	long n = sys_read_file(AGENT_LOG, file, sizeof(file));
	bool comma = false;

	if (n < 0)
		return 503;
	out_add(o, "{\"lines\":[", 10);
	for (char *line = file, *nl; line < file + n; line = nl + 1) {
		if (!(nl = memchr(line, '\n', (size_t)(file + n - line))))
			nl = file + n;
		if (comma)
			out_add(o, ",", 1);
		out_json_str(o, line, (size_t)(nl - line));
		comma = true;
	}
	out_add(o, "]}\n", 3);
	return 200;
}

static int healthz(struct out *o)
{
	enum health_state s = health_state();

	out_printf(o, "{\"status\":\"%s\"}\n", health_state_name(s));
	return s == HEALTH_UNHEALTHY ? 503 : 200;
}

static const char *const get_paths[] = { "/healthz",	  "/v1/os",  "/v1/os/memory", "/v1/os/log",
					 "/v1/processes", "/v1/net", "/v1/app",	      "/metrics" };

/* GET routes; POST routes come after. */
static int route_get(const struct http_request *r, struct api_reply *rep)
{
	struct out *o = &rep->body;

	if (http_str_is(r->path, "/healthz"))
		return healthz(o);
	if (http_str_is(r->path, "/v1/os"))
		return os(o), 200;
	if (http_str_is(r->path, "/v1/os/memory"))
		return memory(o);
	if (http_str_is(r->path, "/v1/os/log"))
		return os_log(o);
	if (http_str_is(r->path, "/v1/processes"))
		return processes(o);
	if (http_str_is(r->path, "/v1/net"))
		return net(o);
	if (http_str_is(r->path, "/v1/app"))
		return app(o);
	if (http_str_is(r->path, "/metrics")) {
		rep->content_type = "text/plain; version=0.0.4; charset=utf-8";
		metrics_render(o);
		return 200;
	}
	return 0;
}

void api_handle(const struct http_request *r, struct api_reply *rep)
{
	bool get = http_str_is(r->method, "GET"), post = http_str_is(r->method, "POST");
	bool post_path =
		http_str_is(r->path, "/v1/app/signal") || http_str_is(r->path, "/v1/os/shutdown");
	int status = 0;

	if (get)
		status = route_get(r, rep);
	else if (post && http_str_is(r->path, "/v1/app/signal"))
		status = app_signal(r, &rep->body);
	else if (post && http_str_is(r->path, "/v1/os/shutdown"))
		status = shutdown_req(r, rep);
	if (!status) {
		bool known = post_path;
		for (size_t i = 0; i < sizeof(get_paths) / sizeof(get_paths[0]); i++)
			known = known || http_str_is(r->path, get_paths[i]);
		status = known ? 405 : 404;
		out_printf(&rep->body, "{\"error\":\"%s\"}\n",
			   status == 404 ? "no such endpoint" : "method not allowed");
	}
	rep->status = status;
}
