/*
 * The management agent's door into the kernel (design.md contract 23): the
 * agent (agent/, a user-space program the kernel starts beside the
 * application) renders the API and the metrics; the kernel only hands it
 * counters and carries out two commands.
 *
 *   /proc/monos/counters  (0444) one "NAME VALUE" or "NAME LABEL VALUE" line
 *                         per counter, a snapshot taken at open (procfs'
 *                         generated files); see gen_counters for the names.
 *                         Readable by all, as /proc/stat is: nothing in it
 *                         is secret.
 *   /proc/monos/log       (0400) the newest 16 KiB of the kernel log.
 *   /proc/monos/cmdline   (0444) the kernel command line.
 *   /dev/monos            (0600, root) write-only commands, one per write:
 *                           "kill SIG"       signal SIG to PID 1
 *                           "shutdown MS"    SIGTERM to PID 1, then SIGKILL
 *                                            MS milliseconds later if it
 *                                            still runs (PID 1's end ends
 *                                            the instance: contract 18)
 *                           "health N"       the health check's state is
 *                                            now N (0 none, 1 starting, 2
 *                                            healthy, 3 unhealthy): sent
 *                                            to the host as a HEALTH frame
 *                                            (channel.h), for `monos ps`,
 *                                            and to a disk boot's trial
 *                                            (monos_dev_set_health_hook)
 *                           "linger MS"      tell the writer of the
 *                                            instance's end: when PID 1
 *                                            ends, the writer gets SIGTERM
 *                                            and the end waits for its
 *                                            "done", MS milliseconds at
 *                                            most (etcd: the key is
 *                                            deleted before power-off)
 *                           "done"           the writer is ready for the end
 *                         -EINVAL for anything else.  A device, not a /proc
 *                         file, because it is written and must be root's
 *                         alone: whoever holds it can stop the instance.
 *
 * This file sits in linux/ (the top layer under init) because it reads the
 * system-call layer's and the process layer's counters; arrows point down.
 */
#include "linux/monos_dev.h"
#include "core/console.h"
#include "core/waitq.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/vm.h"
#include "fs/procfs.h"
#include "fs/vfs.h"
#include "linux/process.h"
#include "linux/signal.h"
#include "linux/syscall.h"
#include "net/lwip/net.h"
#include <lib/cmdline.h>
#include <lib/errno.h>
#include <lib/fmt.h>
#include <monos/channel.h>

#define MONOS_DEV_RDEV	((10 << 8) | 240) /* misc, "reserved for local use" (devices.txt) */
#define MONOS_DEV_MODE	(S_IFCHR | 0600)
#define COMMAND_MAX	64 /* the longest command line accepted */
#define NSEC_PER_MSEC	1000000ull
#define SHUTDOWN_MAX_MS (3600ull * 1000) /* a grace time of at most an hour */
#define LINGER_MAX_MS	10000		 /* the end waits 10 s at most */

/* lwIP's enum tcp_state, in order (lwip/tcpbase.h), as ss(8) names them. */
static const char *const tcp_state_names[NET_TCP_STATES] = {
	"CLOSE",      "LISTEN",	    "SYN-SENT", "SYN-RECV", "ESTAB",	 "FIN-WAIT-1",
	"FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",	"LAST-ACK", "TIME-WAIT",
};

/* Resident pages of every address space (one count per mm, shared ones
 * once) and descriptors of every process (a table shared by CLONE_FILES is
 * counted per sharer, as Linux's per-process fd counts are). */
static void user_totals(uint64_t *pages, uint64_t *fds)
{
	*pages = *fds = 0;
	for (struct process *p = process_next(NULL); p; p = process_next(p)) {
		struct thread *t = process_main_thread(p);
		bool seen = false;

		if (!t || p->state != PROCESS_LIVE)
			continue;
		if (t->files)
			*fds += fdt_count(t->files);
		for (struct process *q = process_next(NULL); q != p && !seen; q = process_next(q)) {
			struct thread *u = process_main_thread(q);
			seen = u && q->state == PROCESS_LIVE && u->mm == t->mm;
		}
		if (!seen && t->mm)
			*pages += t->mm->resident;
	}
}

static void counters_system(struct procfs_buf *b)
{
	uint64_t up = time_monotonic_ns(), busy = time_busy_ns(), pages, fds;
	struct heap_stats hs;

	heap_stats(&hs);
	user_totals(&pages, &fds);
	procfs_printf(b, "uptime_ns %lu\nbusy_ns %lu\nidle_ns %lu\n", up, busy,
		      up > busy ? up - busy : 0);
	procfs_printf(b, "memory_total_bytes %lu\nmemory_used_bytes %lu\n",
		      mem_total_frames() * PAGE_SIZE, mem_used_frames() * PAGE_SIZE);
	procfs_printf(b, "memory_kernel_heap_bytes %lu\nmemory_kernel_heap_live_bytes %lu\n",
		      hs.frames * PAGE_SIZE, hs.live_bytes);
	procfs_printf(b, "memory_user_resident_bytes %lu\n", pages * PAGE_SIZE);
	procfs_printf(b, "page_faults %lu\ncontext_switches %lu\n", vm_fault_count(),
		      sched_switch_count());
	procfs_printf(b, "processes %u\nthreads %u\nopen_fds %lu\n", process_count(),
		      sched_thread_count(), fds);
}

/* The text of /proc/monos/counters.  Calls and errors only where nonzero. */
static long gen_counters(struct inode *ino, char *buf, size_t n)
{
	struct procfs_buf b = { buf, n, 0 };
	unsigned tcp[NET_TCP_STATES];

	(void)ino;
	counters_system(&b);
	for (unsigned nr = 0; nr < SYSCALL_COUNT; nr++)
		if (syscall_calls(nr) && syscall_name(nr))
			procfs_printf(&b, "syscall %s %lu\n", syscall_name(nr), syscall_calls(nr));
	for (unsigned e = 1; e < SYSCALL_ERRNO_MAX; e++)
		if (syscall_errors(e))
			procfs_printf(&b, "errno %s %lu\n", errno_name((int)e), syscall_errors(e));
	net_tcp_states(tcp);
	for (unsigned s = 0; s < NET_TCP_STATES; s++)
		procfs_printf(&b, "tcp %s %u\n", tcp_state_names[s], tcp[s]);
	return b.len;
}

/* /proc/monos/log: the newest kernel log (core/console.c keeps 16 KiB). */
static long gen_log(struct inode *ino, char *buf, size_t n)
{
	(void)ino;
	return (long)console_log_copy(buf, n); /* all of n: maybe more, grow */
}

static const char *boot_cmdline = "";

/* /proc/monos/cmdline: the kernel command line (kernel options only,
 * never user data: bootinfo.h). */
static long gen_cmdline(struct inode *ino, char *buf, size_t n)
{
	(void)ino;
	return fmt_snprintf(buf, n, "%s\n", boot_cmdline);
}

static struct ktimer shutdown_timer;

static void signal_init_proc(int sig)
{
	struct ksiginfo info = { .signo = sig, .code = SI_KERNEL };
	struct process *init = process_init_proc();

	if (init && init->state == PROCESS_LIVE)
		signal_send_process(init, &info);
}

static void shutdown_expired(struct ktimer *t)
{
	(void)t;
	signal_init_proc(SIGKILL);
}

/* "WORD NUMBER" with an optional newline: 0 and the parts, or -EINVAL. */
static int parse_command(const char *cmd, size_t len, const char *word, uint64_t *num)
{
	size_t w = strlen(word);

	if (len && cmd[len - 1] == '\n')
		len--;
	if (len <= w + 1 || memcmp(cmd, word, w) || cmd[w] != ' ')
		return -EINVAL;
	return parse_u64(cmd + w + 1, len - w - 1, num) ? -EINVAL : 0;
}

/* The end's notice ("linger"): whom to tell, how long to wait, whether it
 * said "done".  Written by the agent's commands, read by PID 1's last
 * thread in monos_dev_instance_end. */
static int linger_pid;
static uint64_t linger_ms;
static bool linger_done;
static struct waitq linger_wq;

static bool linger_over(void *arg)
{
	struct process *p = process_find(linger_pid);

	(void)arg;
	return linger_done || !p || p->state != PROCESS_LIVE;
}

void monos_dev_instance_end(void)
{
	struct ksiginfo info = { .signo = SIGTERM, .code = SI_KERNEL };
	struct process *p = linger_pid ? process_find(linger_pid) : NULL;
	uint64_t deadline = time_monotonic_ns() + linger_ms * NSEC_PER_MSEC;

	if (!p || p->state != PROCESS_LIVE || linger_done)
		return;
	signal_send_process(p, &info);
	/* A signal pending for the ending PID 1 cuts a wait short: yield and
	 * wait again until the deadline, so the agent still gets its time. */
	while (!linger_over(NULL) && time_monotonic_ns() < deadline)
		if (waitq_wait(&linger_wq, linger_over, NULL, deadline) == -ERESTARTSYS)
			sched_yield();
}

static void (*health_hook)(enum monos_chan_health state);

void monos_dev_set_health_hook(void (*fn)(enum monos_chan_health state))
{
	health_hook = fn;
}

/* The agent's own commands (health, linger, done): the bytes taken, or
 * -EINVAL when `kbuf` is none of them. */
static long agent_command(const char *kbuf, size_t n)
{
	uint64_t v;
	uint8_t b;

	if (!parse_command(kbuf, n, "health", &v)) {
		if (v >= MONOS_HEALTH_MAX + 1)
			return -EINVAL;
		b = (uint8_t)v;
		if (console_is_channel())
			console_write(MONOS_CHAN_HEALTH, &b, 1);
		if (health_hook)
			health_hook((enum monos_chan_health)v);
		return n;
	}
	if (!parse_command(kbuf, n, "linger", &v)) {
		if (v > LINGER_MAX_MS)
			return -EINVAL;
		linger_pid = process_current()->pid;
		linger_ms = v;
		linger_done = false;
		return n;
	}
	if ((n == 4 || (n == 5 && kbuf[4] == '\n')) && !memcmp(kbuf, "done", 4)) {
		linger_done = true;
		waitq_wake(&linger_wq);
		return n;
	}
	return -EINVAL;
}

static long monos_dev_write(struct file *f, const void *kbuf, size_t n, uint64_t off)
{
	uint64_t v;

	(void)f, (void)off;
	if (n > COMMAND_MAX)
		return -EINVAL;
	if (!parse_command(kbuf, n, "kill", &v)) {
		if (v == 0 || v >= NSIG)
			return -EINVAL;
		signal_init_proc((int)v);
		return n;
	}
	if (!parse_command(kbuf, n, "shutdown", &v)) {
		if (v > SHUTDOWN_MAX_MS)
			return -EINVAL;
		/* A second request restarts the grace time from now. */
		ktimer_del(&shutdown_timer);
		shutdown_timer.fn = shutdown_expired;
		shutdown_timer.expires = time_monotonic_ns() + v * NSEC_PER_MSEC;
		ktimer_add(&shutdown_timer);
		signal_init_proc(SIGTERM);
		return n;
	}
	return agent_command(kbuf, n);
}

static long monos_dev_read(struct file *f, void *kbuf, size_t n, uint64_t off)
{
	return -EINVAL; /* write-only: counters are in /proc/monos */
}

static const struct file_ops monos_dev_ops = { .read = monos_dev_read, .write = monos_dev_write };

void monos_dev_init(const char *cmdline)
{
	struct inode *dev = vfs_lookup(vfs_root(), "/dev", true), *ino;
	struct inode *dir;

	if (IS_ERR(dev) || !(ino = vfs_mknode(dev, "monos", MONOS_DEV_MODE)))
		boot_out_of_memory("/dev/monos");
	ino->mode = MONOS_DEV_MODE;
	ino->rdev = MONOS_DEV_RDEV;
	ino->fops = &monos_dev_ops;
	ino->uid = ino->gid = 0; /* root's, whoever the program runs as */
	ino->sb = dev->sb;
	waitq_init(&linger_wq);
	dir = procfs_dir(procfs_root(), "monos");
	boot_cmdline = cmdline;
	procfs_file(dir, "counters", gen_counters, 0444);
	procfs_file(dir, "cmdline", gen_cmdline, 0444);
	procfs_file(dir, "log", gen_log, 0400); /* paths, addresses: root's */
}
