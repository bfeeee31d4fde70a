/*
 * What an exported disk's boot does that a `monos run` does not
 * (standalone.h): the restart policy at the program's end, by ACPI
 * power-off or a reset, since the cloud VM has no CLI to ask; and, on the
 * trial boot of a slot `monos update` wrote (grub.cfg's monos.trial=1),
 * marking that slot good in GRUB's environment block once the program has
 * run for the grace period (monos.grace=S) or has exited with status 0
 * before it.  A trial that fails first (a crash, a non-zero status, a
 * panic) resets the machine whatever the policy: GRUB then finds the try
 * unconfirmed and boots the previous slot (cli/export_grub.c).
 *
 * The block is rewritten in place, on the boot disk vda, at the byte
 * offset grub.cfg gives (monos.grubenv=OFF, found by the export), after
 * checking it still has grub-editenv's shape; a damaged block is left
 * alone and the boot is not marked (GRUB then falls back).
 */
#include "init/standalone.h"
#include "arch/x86_64/power.h"
#include "core/console.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/waitq.h"
#include "drivers/blk.h"
#include "linux/syscall.h"
#include <lib/cmdline.h>
#include <lib/grubenv.h>
#include <lib/string.h>
#include <monos/channel.h>

#define STANDALONE_GRACE_DEFAULT_S 10
#define STANDALONE_DISK		   "vda" /* the disk GRUB booted: the only one */

enum restart_policy { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS };

static enum restart_policy policy;

/* The trial boot's state: marking starts once (from the grace thread or
 * PID 1's end, whichever comes first) and the other waits for it. */
static struct {
	bool on;	  /* monos.trial=1 with a slot and a grubenv offset */
	char slot[2];	  /* "a" or "b" */
	uint64_t env_off; /* byte offset of the grubenv block on vda */
	uint64_t grace_ns;
	bool grace_over, started, done, marked;
	struct waitq wq;
	struct ktimer timer;
} trial;

static char env_block[GRUBENV_SIZE] __attribute__((aligned(BLK_SECTOR_SIZE)));

/* One transfer of the grubenv block: 0 or -errno. */
static int env_io(struct blk_dev *d, enum blk_op op)
{
	struct blk_vec vec[2];
	int n = blk_vec_kbuf(env_block, sizeof(env_block), vec, 2);

	if (n < 0)
		return n;
	return blk_io(d, op, op == BLK_OP_WRITE ? BLK_REQ_FUA : 0,
		      trial.env_off >> BLK_SECTOR_SHIFT, vec, (unsigned)n);
}

/* Rewrite the block: this slot is the good one, nothing left to try. */
static int mark_good(void)
{
	struct blk_dev *d = blk_find(STANDALONE_DISK);
	size_t len;
	const char *try;
	int err;

	if (!d)
		return -ENODEV;
	if ((err = env_io(d, BLK_OP_READ)))
		return err;
	if (grubenv_check(env_block))
		return -EINVAL;
	try = grubenv_get(env_block, "monos_try", &len);
	if (!try || len != 1 || *try != trial.slot[0])
		return -ESTALE; /* GRUB gave up on this slot already */
	err = grubenv_set(env_block, "monos_slot", trial.slot);
	err = err ? err : grubenv_set(env_block, "monos_try", NULL);
	err = err ? err : grubenv_set(env_block, "monos_pending", NULL);
	err = err ? err : env_io(d, BLK_OP_WRITE);
	return err ? err : blk_flush(d);
}

static bool mark_finished(void *arg)
{
	(void)arg;
	return trial.done;
}

/* Mark the slot good once, whoever asks first; `why` is logged.  Process
 * context (it sleeps). */
static void trial_succeeded(const char *why)
{
	int err;

	if (trial.started) {
		waitq_wait_uninterruptible(&trial.wq, mark_finished, NULL);
		return;
	}
	trial.started = true;
	err = mark_good();
	trial.marked = !err;
	if (err)
		klog("monos: slot %s %s, but cannot be marked good: %s\n", trial.slot, why,
		     err == -EINVAL ? "the grubenv block is damaged" : errno_name(-err));
	else
		klog("monos: slot %s %s: marked good\n", trial.slot, why);
	trial.done = true;
	waitq_wake(&trial.wq);
}

static void grace_fired(struct ktimer *t)
{
	(void)t;
	trial.grace_over = true;
	waitq_wake(&trial.wq);
}

static bool grace_over(void *arg)
{
	(void)arg;
	return trial.grace_over;
}

static void grace_main(void *arg)
{
	(void)arg;
	waitq_wait_uninterruptible(&trial.wq, grace_over, NULL);
	trial_succeeded("ran for its grace period");
}

/* PID 1's end, before the sync: a trial that exited 0 is good. */
static void standalone_end(const struct monos_chan_exit *e)
{
	if (e->kind == MONOS_EXIT_STATUS && e->status == 0)
		trial_succeeded("exited with status 0");
}

static void standalone_exit(const struct monos_chan_exit *e)
{
	bool failed = e->kind != MONOS_EXIT_STATUS || e->status != 0;

	if (trial.on && !trial.marked) {
		klog("monos: slot %s failed its trial: rebooting into the previous slot\n",
		     trial.slot);
		power_reset();
	}

	if (policy == RESTART_ALWAYS || (policy == RESTART_ON_FAILURE && failed)) {
		klog("monos: restart policy %s: rebooting\n",
		     policy == RESTART_ALWAYS ? "always" : "on-failure");
		power_reset();
	}
	klog("monos: powering off\n");
	power_off();
}

/* Whether the option's value `v` (`len` bytes) is `word`. */
static bool value_is(const char *v, size_t len, const char *word)
{
	return len == strlen(word) && !memcmp(v, word, len);
}

/* Option `key`'s decimal value: 0, or -EINVAL (absent, empty, not
 * digits, or past 2^64). */
static int option_u64(const char *cmdline, const char *key, uint64_t *out)
{
	size_t len;
	const char *v = cmdline_find(cmdline, key, &len);
	uint64_t n = 0;

	if (!v || !len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9' || n > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	*out = n;
	return 0;
}

/* The trial's options: monos.trial=1 monos.slot=a|b monos.grubenv=OFF
 * [monos.grace=S]. */
static void trial_options(const char *cmdline)
{
	size_t len;
	const char *slot = cmdline_find(cmdline, "monos.slot", &len);
	uint64_t off, grace = STANDALONE_GRACE_DEFAULT_S;

	if (!cmdline_flag(cmdline, "monos.trial"))
		return;
	if (!slot || len != 1 || (*slot != 'a' && *slot != 'b') ||
	    option_u64(cmdline, "monos.grubenv", &off) || off % BLK_SECTOR_SIZE) {
		klog("monos: a trial boot without monos.slot=a|b and monos.grubenv=OFFSET: "
		     "this slot cannot be marked good\n");
		return;
	}
	if (cmdline_find(cmdline, "monos.grace", NULL) &&
	    option_u64(cmdline, "monos.grace", &grace))
		klog("monos: monos.grace: expected seconds: %lu s\n", grace);
	trial.on = true;
	trial.slot[0] = *slot;
	trial.env_off = off;
	trial.grace_ns = grace * NSEC_PER_SEC;
	waitq_init(&trial.wq);
}

void standalone_start(void)
{
	if (!trial.on)
		return;
	process_set_end_hook(standalone_end);
	list_init(&trial.timer.node);
	trial.timer.fn = grace_fired;
	trial.timer.expires = time_monotonic_ns() + trial.grace_ns;
	ktimer_add(&trial.timer);
	if (!sched_spawn_kernel(grace_main, NULL))
		klog("monos: no memory for the grace thread: only an exit with status 0 marks "
		     "slot %s good\n",
		     trial.slot);
}

void standalone_init(const char *cmdline, uint64_t rsdp_paddr)
{
	size_t len;
	const char *v = cmdline_find(cmdline, "monos.restart", &len);

	trial_options(cmdline);

	if (!v)
		return;
	if (value_is(v, len, "always"))
		policy = RESTART_ALWAYS;
	else if (value_is(v, len, "on-failure"))
		policy = RESTART_ON_FAILURE;
	else if (!value_is(v, len, "no"))
		klog("monos: monos.restart=%.*s: expected no, on-failure or always: no\n", (int)len,
		     v);
	power_init(rsdp_paddr);
	console_set_exit_hook(standalone_exit);
}
