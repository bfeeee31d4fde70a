/*
 * What an exported disk's boot does that a `monos run` does not
 * (standalone.h), since the cloud VM has no CLI to ask:
 *  - the restart policy at the program's end, by ACPI power-off or a reset;
 *  - on the trial boot of a slot `monos update` wrote (grub.cfg's
 *    monos.trial=1), the verdict, given once and recorded in GRUB's
 *    environment block (lib/bootslot.h has the variables): good once the
 *    program has run for the grace period (monos.grace=S) or exited with
 *    status 0 before it; with a health check (monos.health=1) only once the
 *    check has stayed healthy for the grace period.  Abandoned, with its
 *    reason, when it fails first: a crash or a non-zero status, the check
 *    turning unhealthy (the agent's retries used up), or never healthy
 *    within STANDALONE_HEALTH_WAIT_S; the machine then resets whatever the
 *    policy and GRUB boots the good slot.  A panic leaves no reason: GRUB
 *    finds the try used up and records not-marked-good;
 *  - on the good slot's boots under restart always or on-failure, a backoff:
 *    a program that fails before its grace period counts one more failed
 *    boot in a row (monos_fails) and the reboot waits bootslot_backoff_s
 *    (1 s doubled each time, 5 min at most); BOOTSLOT_BAD_BOOTS of them
 *    with the other slot abandoned or empty mean both slots are bad: the
 *    machine says so on the serial log and powers off.  A run past the
 *    grace period clears the count.  A block that cannot be read counts
 *    nothing: each such reboot then waits the longest backoff.
 *
 * The block is rewritten in place, on the boot disk vda, at the byte offset
 * grub.cfg gives (monos.grubenv=OFF, found by the export), after checking it
 * still has grub-editenv's shape; a damaged block is left alone (a trial is
 * then not marked, and GRUB falls back).
 */
#include "init/standalone.h"
#include "arch/x86_64/power.h"
#include "core/console.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/waitq.h"
#include "drivers/blk.h"
#include "linux/monos_dev.h"
#include "linux/syscall.h"
#include <lib/bootslot.h>
#include <lib/cmdline.h>
#include <lib/fmt.h>
#include <lib/grubenv.h>
#include <lib/string.h>
#include <monos/channel.h>

#define STANDALONE_GRACE_DEFAULT_S 10
#define STANDALONE_HEALTH_WAIT_S   300	 /* a trial never healthy this long past its grace fails */
#define STANDALONE_DISK		   "vda" /* the disk GRUB booted: the only one */

enum restart_policy { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS };

static enum restart_policy policy;

/* The boot's slot and its block (env: monos.slot and monos.grubenv given). */
static struct {
	bool env;
	char slot;	  /* 'a' or 'b' */
	uint64_t env_off; /* byte offset of the grubenv block on vda */
	uint64_t grace_ns, start_ns;
	bool both_bad; /* the end powers off, whatever the policy */
} boot;

/* The trial: the verdict is given once (by the grace thread or PID 1's end,
 * whichever comes first) and the other waits for it. */
static struct {
	bool on, health;
	bool grace_over, unhealthy, deadline_over;
	bool deciding, decided, marked;
	struct waitq wq;
	struct ktimer grace, deadline;
} trial;

static char env_block[GRUBENV_SIZE] __attribute__((aligned(BLK_SECTOR_SIZE)));

/* One transfer of the grubenv block: 0 or -errno. */
static int env_io(struct blk_dev *d, enum blk_op op)
{
	struct blk_vec vec[2];
	int n = blk_vec_kbuf(env_block, sizeof(env_block), vec, 2);

	if (n < 0)
		return n;
	return blk_io(d, op, op == BLK_OP_WRITE ? BLK_REQ_FUA : 0, boot.env_off >> BLK_SECTOR_SHIFT,
		      vec, (unsigned)n);
}

/* The block into env_block, checked: 0, -ENODEV, -EINVAL (damaged), -errno. */
static int env_read(struct blk_dev **d)
{
	int err;

	if (!(*d = blk_find(STANDALONE_DISK)))
		return -ENODEV;
	if ((err = env_io(*d, BLK_OP_READ)))
		return err;
	return grubenv_check(env_block) ? -EINVAL : 0;
}

/* env_block back to the disk, durably. */
static int env_write(struct blk_dev *d)
{
	int err = env_io(d, BLK_OP_WRITE);

	return err ? err : blk_flush(d);
}

static const char *env_error(int err)
{
	return err == -EINVAL ? "the grubenv block is damaged" : errno_name(-err);
}

/* The trial's verdict into the block: good, or abandoned for `why`. */
static int record_verdict(bool good, const char *why)
{
	struct blk_dev *d;
	size_t len;
	const char *try;
	int err = env_read(&d);

	if (err)
		return err;
	try = grubenv_get(env_block, "monos_try", &len);
	if (!try || len != 1 || *try != boot.slot)
		return -ESTALE; /* GRUB gave up on this slot already */
	err = good ? bootslot_mark_good(env_block, boot.slot)
		   : bootslot_abandon(env_block, boot.slot, why);
	return err ? err : env_write(d);
}

static bool verdict_given(void *arg)
{
	(void)arg;
	return trial.decided;
}

/* Give the verdict once, whoever asks first: good (`why` says how, for the
 * log) or abandoned (`why` is the reason recorded).  Process context. */
static void trial_decide(bool good, const char *why)
{
	int err;

	if (trial.deciding) {
		waitq_wait_uninterruptible(&trial.wq, verdict_given, NULL);
		return;
	}
	trial.deciding = true;
	ktimer_del(&trial.grace);
	ktimer_del(&trial.deadline);
	err = record_verdict(good, why);
	trial.marked = good && !err;
	if (err)
		klog("monos: slot %c %s, but the block cannot record it: %s\n", boot.slot,
		     good ? why : "failed its trial", env_error(err));
	else if (good)
		klog("monos: slot %c %s: marked good\n", boot.slot, why);
	else
		klog("monos: slot %c failed its trial: %s\n", boot.slot, why);
	trial.decided = true;
	waitq_wake(&trial.wq);
}

static void grace_fired(struct ktimer *t)
{
	(void)t;
	trial.grace_over = true;
	waitq_wake(&trial.wq);
}

static void deadline_fired(struct ktimer *t)
{
	(void)t;
	trial.deadline_over = true;
	waitq_wake(&trial.wq);
}

static bool trial_event(void *arg)
{
	(void)arg;
	return trial.grace_over || trial.unhealthy || trial.deadline_over || trial.decided;
}

/* The trial's own thread: the grace period passed, or the health check
 * failed it while the program runs (then nothing else ends the boot). */
static void trial_main(void *arg)
{
	(void)arg;
	waitq_wait_uninterruptible(&trial.wq, trial_event, NULL);
	if (trial.grace_over && !trial.unhealthy) {
		trial_decide(true, trial.health ? "stayed healthy for its grace period"
						: "ran for its grace period");
		return;
	}
	trial_decide(false, trial.unhealthy ? "unhealthy" : "never-healthy");
	if (!trial.marked) {
		klog("monos: slot %c: rebooting into the previous slot\n", boot.slot);
		power_reset();
	}
}

/* The agent's health check changed (monos_dev.c): only healthy counts
 * towards the grace period, which restarts at each return to healthy. */
static void trial_health(enum monos_chan_health state)
{
	if (trial.decided || trial.grace_over)
		return;
	if (state == MONOS_HEALTH_HEALTHY) {
		if (!ktimer_pending(&trial.grace)) {
			trial.grace.expires = time_monotonic_ns() + boot.grace_ns;
			ktimer_add(&trial.grace);
		}
		return;
	}
	ktimer_del(&trial.grace);
	if (state == MONOS_HEALTH_UNHEALTHY) {
		trial.unhealthy = true;
		waitq_wake(&trial.wq);
	}
}

/* How the program ended, as the block records it. */
static void exit_reason(const struct monos_chan_exit *e, char *out, size_t n)
{
	if (e->kind == MONOS_EXIT_STATUS)
		fmt_snprintf(out, n, "exited-status-%u", e->status);
	else if (e->kind == MONOS_EXIT_SIGNAL)
		fmt_snprintf(out, n, "crashed-signal-%u", e->signo);
	else if (e->kind == MONOS_EXIT_OOM)
		fmt_snprintf(out, n, "out-of-memory");
	else if (e->kind == MONOS_EXIT_EXEC)
		fmt_snprintf(out, n, "exec-failed-%u", e->status);
	else
		fmt_snprintf(out, n, "kernel-panic");
}

static bool backoff_over;
static struct waitq backoff_wq;

static void backoff_fired(struct ktimer *t)
{
	(void)t;
	backoff_over = true;
	waitq_wake(&backoff_wq);
}

static bool backoff_done(void *arg)
{
	(void)arg;
	return backoff_over;
}

/* Sleep `s` seconds, signals or not (PID 1 is ending). */
static void backoff_sleep(unsigned s)
{
	static struct ktimer t;

	waitq_init(&backoff_wq);
	list_init(&t.node);
	t.fn = backoff_fired;
	t.expires = time_monotonic_ns() + (uint64_t)s * NSEC_PER_SEC;
	ktimer_add(&t);
	waitq_wait_uninterruptible(&backoff_wq, backoff_done, NULL);
}

/* The good slot's program ended and the policy reboots: count a failure
 * before the grace period (then back off, or stop when both slots are
 * bad), clear the count after a longer run. */
static void good_slot_end(bool failed, const char *why)
{
	struct bootslot_state s;
	struct blk_dev *d;
	unsigned fails, delay;
	bool early = failed && time_monotonic_ns() - boot.start_ns < boot.grace_ns;
	int err = env_read(&d);

	if (err) {
		/* Nothing counts the failures: wait as long as the longest backoff. */
		if (early) {
			klog("monos: the grubenv block cannot be read (%s): failed boots cannot be "
			     "counted: rebooting in %u s\n",
			     env_error(err), BOOTSLOT_BACKOFF_MAX_S);
			backoff_sleep(BOOTSLOT_BACKOFF_MAX_S);
		}
		return;
	}
	bootslot_read(env_block, &s);
	if (!early) {
		if (s.fails && !bootslot_settled(env_block))
			env_write(d);
		return;
	}
	if ((err = bootslot_failed(env_block, why, &fails, &delay)) || (err = env_write(d)))
		klog("monos: the failed boot cannot be recorded: %s\n", env_error(err));
	if (bootslot_both_bad(&s, boot.slot, fails)) {
		boot.both_bad = true;
		if (s.image[boot.slot == 'a'][0])
			klog("monos: both slots are bad: slot %c failed %u boots in a row (%s), "
			     "slot %c was abandoned (%s)\n",
			     boot.slot, fails, why, boot.slot == 'a' ? 'b' : 'a', s.why);
		else
			klog("monos: both slots are bad: slot %c failed %u boots in a row (%s), "
			     "slot %c holds no image\n",
			     boot.slot, fails, why, boot.slot == 'a' ? 'b' : 'a');
		return;
	}
	klog("monos: slot %c failed %u boot%s in a row (%s): rebooting in %u s\n", boot.slot, fails,
	     fails == 1 ? "" : "s", why, delay);
	backoff_sleep(delay);
}

/* PID 1's end, before the sync (process context): the trial's verdict, or
 * the good slot's failure count. */
static void standalone_end(const struct monos_chan_exit *e)
{
	bool failed = e->kind != MONOS_EXIT_STATUS || e->status != 0;
	char why[BOOTSLOT_WHY_MAX + 1];

	exit_reason(e, why, sizeof(why));
	if (trial.on) {
		if (!failed && !trial.health)
			trial_decide(true, "exited with status 0");
		else
			trial_decide(false, why);
		return;
	}
	if (policy == RESTART_ALWAYS || (policy == RESTART_ON_FAILURE && failed))
		good_slot_end(failed, why);
}

static void standalone_exit(const struct monos_chan_exit *e)
{
	bool failed = e->kind != MONOS_EXIT_STATUS || e->status != 0;

	if (trial.on && !trial.marked) {
		klog("monos: slot %c failed its trial: rebooting into the previous slot\n",
		     boot.slot);
		power_reset();
	}
	if (boot.both_bad) {
		klog("monos: no slot left to boot: powering off (update the disk with "
		     "'monos update')\n");
		power_off();
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

/* The slot's options: monos.slot=a|b monos.grubenv=OFF [monos.grace=S]
 * [monos.trial=1 [monos.health=1]]. */
static void slot_options(const char *cmdline)
{
	size_t len;
	const char *slot = cmdline_find(cmdline, "monos.slot", &len);
	uint64_t off, grace = STANDALONE_GRACE_DEFAULT_S;

	if (!slot || len != 1 || (*slot != 'a' && *slot != 'b') ||
	    option_u64(cmdline, "monos.grubenv", &off) || off % BLK_SECTOR_SIZE) {
		klog("monos: a disk boot without monos.slot=a|b and monos.grubenv=OFFSET: "
		     "no trial, no backoff\n");
		return;
	}
	if (cmdline_find(cmdline, "monos.grace", NULL) &&
	    option_u64(cmdline, "monos.grace", &grace))
		klog("monos: monos.grace: expected seconds: %lu s\n", grace);
	boot.env = true;
	boot.slot = *slot;
	boot.env_off = off;
	boot.grace_ns = grace * NSEC_PER_SEC;
	trial.on = cmdline_flag(cmdline, "monos.trial");
	trial.health = cmdline_flag(cmdline, "monos.health");
}

static void trial_start(void)
{
	waitq_init(&trial.wq);
	list_init(&trial.grace.node);
	list_init(&trial.deadline.node);
	trial.grace.fn = grace_fired;
	trial.deadline.fn = deadline_fired;
	if (trial.health) {
		trial.deadline.expires =
			boot.start_ns + boot.grace_ns + STANDALONE_HEALTH_WAIT_S * NSEC_PER_SEC;
		ktimer_add(&trial.deadline);
		monos_dev_set_health_hook(trial_health);
	} else {
		trial.grace.expires = boot.start_ns + boot.grace_ns;
		ktimer_add(&trial.grace);
	}
	if (!sched_spawn_kernel(trial_main, NULL))
		klog("monos: no memory for the trial's thread: only the program's end decides "
		     "slot %c's trial\n",
		     boot.slot);
}

void standalone_start(void)
{
	if (!boot.env)
		return;
	boot.start_ns = time_monotonic_ns();
	process_set_end_hook(standalone_end);
	if (trial.on)
		trial_start();
}

void standalone_init(const char *cmdline, uint64_t rsdp_paddr)
{
	size_t len;
	const char *v = cmdline_find(cmdline, "monos.restart", &len);

	slot_options(cmdline);

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
