/*
 * What monitor.c (the monitor's life) and monitor_ctl.c (its control
 * socket) share: the monitor's state.  Private to those two files.
 */
#ifndef MONOS_CLI_MONITOR_INTERNAL_H
#define MONOS_CLI_MONITOR_INTERNAL_H

#include <poll.h>
#include <time.h>

#include "cli.h"

#define MONITOR_CLIENTS		 (SESSION_HOOK_FDS - 1) /* one pollfd is the listener */
#define MONITOR_LINE_MAX	 128			/* a request line */
#define MONITOR_BACKOFF_FIRST_MS 100			/* docker's restart delays */
#define MONITOR_BACKOFF_MAX_MS	 60000
#define MONITOR_BACKOFF_RESET_MS 10000 /* a run this long starts the delays again */
#define MONITOR_KILLED_STATUS	 137   /* 128 + SIGKILL, as docker kill gives */
#define MONITOR_IMAGE		 "image.cpio"
/* The record's args and command are capped (an argv may be 2 MiB) so that
 * the whole record stays within STATE_RECORD_MAX. */
#define MONITOR_ARGS_MAX    8192
#define MONITOR_COMMAND_MAX 256

enum mon_client_state { CL_FREE, CL_READING, CL_WAIT, CL_STATS };

struct mon_client {
	int fd;
	enum mon_client_state st;
	char line[MONITOR_LINE_MAX];
	size_t len;
};

enum mon_state { MON_CREATED, MON_RUNNING, MON_RESTARTING, MON_EXITED };
/* Their names, in the record and the state answer (monitor.c). */
extern const char *const monitor_state_name[];
/* The health states' names (enum monos_chan_health), in the record. */
extern const char *const monitor_health_name[];

struct monitor {
	struct run_job *j;
	const char *dir;
	char *fixed; /* the record's lines that never change */
	int lfd;     /* the listening control socket */
	struct mon_client cl[MONITOR_CLIENTS];
	int pf_client[SESSION_HOOK_FDS]; /* pollfd index -> client, -1: listener */
	enum mon_state state;
	bool gate_open, stop_requested, killed;
	uint64_t kill_at;  /* CLOCK_MONOTONIC ms of stop's SIGKILL; 0: none */
	struct channel *c; /* the boot's channel while running, else NULL */
	pid_t qemu;
	int sigfd;	      /* SIGINT/TERM/HUP between boots (mon_idle) */
	pid_t pid;	      /* the monitor's own, once forked; 0 before */
	uint64_t stats_seen;  /* c->stats_gen answered already */
	uint64_t health_seen; /* c->health_gen recorded already */
	uint8_t health;	      /* enum monos_chan_health, in the record */
	int status;	      /* the last boot's exit status; -1: none yet */
	unsigned restarts;
	int64_t started_ns, finished_ns; /* CLOCK_REALTIME; 0: not yet */
};

static inline uint64_t monitor_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* monitor.c */

/* monitor_record - write the instance's record (state.c) as it is now. */
void monitor_record(struct monitor *m);

/* monitor_ctl.c */

/* monitor_ctl_listen - the listening control socket at `dir`/sock: the
 * fd, or -1 (said). */
int monitor_ctl_listen(const char *dir);
/* monitor_ctl_fill, monitor_ctl_handle - the session hook's (cli.h's
 * struct session_hook; `arg` is the struct monitor), also used between
 * boots: the listener and the clients, a stop's SIGKILL deadline, the
 * guest's STATS answer passed on. */
size_t monitor_ctl_fill(void *arg, struct pollfd *pf, size_t max, int *timeout_ms);
void monitor_ctl_handle(void *arg, const struct pollfd *pf, size_t n);
/* monitor_ctl_answer_all - answer every client waiting for `what`. */
void monitor_ctl_answer_all(struct monitor *m, enum mon_client_state what, const char *text);

#endif
