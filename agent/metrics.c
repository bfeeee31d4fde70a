/*
 * GET /metrics: the instance's numbers in Prometheus' text exposition
 * format 0.0.4 (prometheus.io/docs/instrumenting/exposition_formats), named
 * by its rules (prometheus.io/docs/practices/naming): a monos_ prefix,
 * base units in the name (_seconds, _bytes), _total on counters.  Sources:
 * /proc/monos/counters (kernel/linux/monos_dev.c), /proc/net/dev, and the
 * agent's own state.
 *
 * CPU time: the kernel keeps busy and idle time, not user and system
 * apart; monos_cpu_seconds_total has mode="busy" (user and system
 * together) and mode="idle".
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NET_DEV_MAX 16384

/* The scalar counters: the kernel's name, the metric's, its type, help,
 * and the divisor to base units (ns to s). */
static const struct scalar {
	const char *key, *name, *type, *help;
	double div;
} scalars[] = {
	{ "uptime_ns", "monos_uptime_seconds", "gauge", "Time since the instance booted.", 1e9 },
	{ "memory_total_bytes", "monos_memory_total_bytes", "gauge", "RAM given to the instance.",
	  1 },
	{ "memory_used_bytes", "monos_memory_used_bytes", "gauge",
	  "RAM in use, every kind together.", 1 },
	{ "memory_kernel_heap_bytes", "monos_memory_kernel_heap_bytes", "gauge",
	  "RAM held by the kernel's heap.", 1 },
	{ "memory_user_resident_bytes", "monos_memory_user_resident_bytes", "gauge",
	  "RAM mapped by programs (each address space once).", 1 },
	{ "page_faults", "monos_page_faults_total", "counter", "Page faults taken by programs.",
	  1 },
	{ "context_switches", "monos_context_switches_total", "counter",
	  "Switches from one thread to another.", 1 },
	{ "processes", "monos_processes", "gauge", "Live processes.", 1 },
	{ "threads", "monos_threads", "gauge", "Live threads.", 1 },
	{ "open_fds", "monos_open_fds", "gauge", "Open file descriptors of every process.", 1 },
};

#define NSCALARS (sizeof(scalars) / sizeof(scalars[0]))

/* What one pass over the counters file collects. */
struct collected {
	char *value[NSCALARS];
	char *busy, *idle;
	struct out syscalls, errors, tcp; /* their sample lines */
};

static void collect(void *ctx, char **w, int nw)
{
	struct collected *c = ctx;

	if (nw == 3 && !strcmp(w[0], "syscall"))
		out_printf(&c->syscalls, "monos_syscalls_total{name=\"%s\"} %s\n", w[1], w[2]);
	else if (nw == 3 && !strcmp(w[0], "errno"))
		out_printf(&c->errors, "monos_syscall_errors_total{errno=\"%s\"} %s\n", w[1], w[2]);
	else if (nw == 3 && !strcmp(w[0], "tcp"))
		out_printf(&c->tcp, "monos_tcp_connections{state=\"%s\"} %s\n", w[1], w[2]);
	else if (!strcmp(w[0], "busy_ns"))
		c->busy = w[1];
	else if (!strcmp(w[0], "idle_ns"))
		c->idle = w[1];
	for (size_t i = 0; nw == 2 && i < NSCALARS; i++)
		if (!strcmp(w[0], scalars[i].key))
			c->value[i] = w[1];
}

static void head(struct out *o, const char *name, const char *type, const char *help)
{
	out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void family(struct out *o, const char *name, const char *type, const char *help,
		   const struct out *samples)
{
	if (!samples->len)
		return;
	head(o, name, type, help);
	out_add(o, samples->p, samples->len);
}

/* Per interface, from /proc/net/dev: bytes, packets, drops each way. */
static void network(struct out *o)
{
	static const struct {
		const char *name, *help;
		int col; /* /proc/net/dev's column */
	} cols[] = {
		{ "monos_network_receive_bytes_total", "Bytes received.", 0 },
		{ "monos_network_receive_packets_total", "Packets received.", 1 },
		{ "monos_network_receive_drops_total", "Received packets dropped.", 3 },
		{ "monos_network_transmit_bytes_total", "Bytes sent.", 8 },
		{ "monos_network_transmit_packets_total", "Packets sent.", 9 },
		{ "monos_network_transmit_drops_total", "Packets not sent: the ring was full.",
		  11 },
	};
	static char text[NET_DEV_MAX];

	if (sys_read_file("/proc/net/dev", text, sizeof(text)) < 0)
		return;
	for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
		char copy[NET_DEV_MAX], *line, *save = NULL;
		int no = 0;
		head(o, cols[k].name, "counter", cols[k].help);
		memcpy(copy, text, sizeof(copy));
		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char name[32];
			unsigned long v[16];
			if (++no <= 2 ||
			    sscanf(line,
				   " %31[^:]: %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu",
				   name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
				   &v[8], &v[9], &v[10], &v[11]) != 13)
				continue;
			out_printf(o, "%s{interface=\"%s\"} %lu\n", cols[k].name, name,
				   v[cols[k].col]);
		}
	}
}

static void seconds(struct out *o, const char *name, const char *label, const char *ns)
{
	out_printf(o, "%s{%s} %.9f\n", name, label, strtod(ns, NULL) / 1e9);
}

static void health(struct out *o)
{
	static const enum health_state states[] = { HEALTH_STARTING, HEALTH_HEALTHY,
						    HEALTH_UNHEALTHY };

	if (health_state() == HEALTH_NONE)
		return;
	head(o, "monos_health_status", "gauge", "1 for the health check's current state.");
	for (size_t i = 0; i < 3; i++)
		out_printf(o, "monos_health_status{state=\"%s\"} %d\n",
			   health_state_name(states[i]), health_state() == states[i]);
}

/* The etcd registration's (agent/etcd.c), with --etcd only. */
static void etcd(struct out *o)
{
	if (!etcd_enabled())
		return;
	head(o, "monos_etcd_registered", "gauge", "1 while the instance's etcd key is registered.");
	out_printf(o, "monos_etcd_registered %d\n", etcd_registered());
	head(o, "monos_etcd_lease_renewals_total", "counter", "Lease keepalives etcd answered.");
	out_printf(o, "monos_etcd_lease_renewals_total %llu\n",
		   (unsigned long long)etcd_renewals_total);
	head(o, "monos_etcd_failures_total", "counter",
	     "etcd requests that failed (refused, timed out, malformed).");
	out_printf(o, "monos_etcd_failures_total %llu\n", (unsigned long long)etcd_failures_total);
}

void metrics_render(struct out *o)
{
	struct collected c = { 0 };

	if (sys_counters(collect, &c) == 0) {
		for (size_t i = 0; i < NSCALARS; i++) {
			if (!c.value[i])
				continue;
			head(o, scalars[i].name, scalars[i].type, scalars[i].help);
			if (scalars[i].div == 1)
				out_printf(o, "%s %s\n", scalars[i].name, c.value[i]);
			else
				out_printf(o, "%s %.9f\n", scalars[i].name,
					   strtod(c.value[i], NULL) / scalars[i].div);
		}
		if (c.busy && c.idle) {
			head(o, "monos_cpu_seconds_total", "counter",
			     "CPU time by mode (busy: user and system together).");
			seconds(o, "monos_cpu_seconds_total", "mode=\"busy\"", c.busy);
			seconds(o, "monos_cpu_seconds_total", "mode=\"idle\"", c.idle);
		}
		family(o, "monos_syscalls_total", "counter", "System calls made, by name.",
		       &c.syscalls);
		family(o, "monos_syscall_errors_total", "counter",
		       "System calls that failed, by errno.", &c.errors);
		family(o, "monos_tcp_connections", "gauge", "TCP connections by state.", &c.tcp);
	}
	out_free(&c.syscalls);
	out_free(&c.errors);
	out_free(&c.tcp);
	network(o);
	health(o);
	etcd(o);
	head(o, "monos_api_requests_total", "counter", "Requests the management API received.");
	out_printf(o, "monos_api_requests_total %llu\n", (unsigned long long)server_requests_total);
	head(o, "monos_api_auth_failures_total", "counter",
	     "Requests refused for a missing or wrong token.");
	out_printf(o, "monos_api_auth_failures_total %llu\n",
		   (unsigned long long)server_auth_failures_total);
}
