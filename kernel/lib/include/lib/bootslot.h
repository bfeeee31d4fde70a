/*
 * The A/B state of a disk `monos export` wrote, as GRUB's environment block
 * (lib/grubenv.h) records it; cli/export_grub.c's grub.cfg makes the boot-time
 * choice from it.  Pure code shared by the kernel (init/standalone.c: a trial
 * marked good or abandoned, a failing good slot's backoff) and the CLI
 * (`monos export` and `monos update` name each slot's image, `monos inspect
 * DISK` reads it all).  Unit test tests/unit/test_lib_bootslot.c.
 *
 * The variables (every value bounded, so that all of them always fit the
 * block's 1024 bytes, about 520 at most):
 *   monos_slot        the good slot, a or b (absent: a)
 *   monos_try         a slot to try once; monos_pending=1 until GRUB starts it
 *   monos_booted      the slot GRUB booted last (written by grub.cfg)
 *   monos_image_a/_b  "NAME@sha256:HEX": the image in that slot
 *   monos_abandoned   the last slot given up, and monos_why why: the kernel's
 *                     crashed-signal-N, exited-status-N, out-of-memory,
 *                     exec-failed-ERRNO, unhealthy or never-healthy, or
 *                     GRUB's not-marked-good (the try was used up without a
 *                     word from the kernel: a panic, a hang, a power loss)
 *   monos_fails       boots in a row of the good slot whose program failed
 *                     before its grace period under restart always or
 *                     on-failure; monos_fail_why the last one's reason
 *   monos_backoff     seconds the kernel waited before the last such reboot
 */
#ifndef LIB_BOOTSLOT_H
#define LIB_BOOTSLOT_H

#include <stdbool.h>
#include <stddef.h>

#define BOOTSLOT_WHY_MAX       31  /* a reason's bytes */
#define BOOTSLOT_IMAGE_MAX     127 /* "NAME@sha256:" and 64 digits: NAME cut to fit */
#define BOOTSLOT_BAD_BOOTS     3   /* failed boots in a row that, with no other slot, stop */
#define BOOTSLOT_BACKOFF_MAX_S 300 /* the doubling delay's cap: 5 minutes */
#define BOOTSLOT_FAILS_MAX     99

struct bootslot_state {
	char good;	/* 'a' or 'b' */
	char trying;	/* the slot to try, or 0 */
	bool pending;	/* GRUB has not started that try yet */
	char booted;	/* the slot booted last, or 0 (not recorded) */
	char abandoned; /* the slot given up last, or 0 */
	char why[BOOTSLOT_WHY_MAX + 1];
	unsigned fails, backoff_s;
	char fail_why[BOOTSLOT_WHY_MAX + 1];
	char image[2][BOOTSLOT_IMAGE_MAX + 1]; /* "" when the slot has none recorded */
};

/* bootslot_read - the state in the valid block `block`; absent or malformed
 * variables read as their defaults. */
void bootslot_read(const char *block, struct bootslot_state *s);

/* bootslot_backoff_s - the delay before the reboot that follows the
 * `fails`-th failed boot in a row: 1 s doubled each time, at most
 * BOOTSLOT_BACKOFF_MAX_S. */
unsigned bootslot_backoff_s(unsigned fails);

/* bootslot_both_bad - whether the good slot `slot`, having failed `fails`
 * boots in a row, leaves nothing to boot: BOOTSLOT_BAD_BOOTS reached and the
 * other slot abandoned or empty. */
bool bootslot_both_bad(const struct bootslot_state *s, char slot, unsigned fails);

/*
 * The rewrites of a valid block; each returns 0, or -EINVAL / -ENOSPC from
 * grubenv_set (the block may then hold part of the change, so the caller
 * writes it only on 0).  `why` is cut to BOOTSLOT_WHY_MAX bytes.
 *   bootslot_mark_good  the tried `slot` is now the good one, nothing to try
 *   bootslot_abandon    the tried `slot` failed: recorded, nothing to try
 *   bootslot_failed     the good slot failed once more: *fails and
 *                       *backoff_s are the new count and its delay
 *   bootslot_settled    the good slot ran past its grace period: no failures
 *   bootslot_set_image  slot's image is now `image` (cut to BOOTSLOT_IMAGE_MAX);
 *                       a reason the slot was abandoned for goes with the old
 */
int bootslot_mark_good(char *block, char slot);
int bootslot_abandon(char *block, char slot, const char *why);
int bootslot_failed(char *block, const char *why, unsigned *fails, unsigned *backoff_s);
int bootslot_settled(char *block);
int bootslot_set_image(char *block, char slot, const char *image);

#endif
