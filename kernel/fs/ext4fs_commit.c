/*
 * ext4's commit interval: what a program changed without fsync reaches the
 * disk within EXT4FS_COMMIT_NS, as Linux's jbd2 commits its running
 * transaction every 5 s (the "commit=" mount option's default,
 * JBD2_DEFAULT_MAX_COMMIT_AGE in include/linux/jbd2.h).
 *
 * Each writable mount has a kernel timer, armed when the filesystem's lock
 * is released with metadata pending (ext4fs_unlock); its callback cannot
 * sleep, so it marks the mount due and wakes one kernel thread, made at
 * the first writable mount, which takes the lock and commits (the log,
 * then the flush that also makes the file data written in place durable)
 * and checkpoints (ext4_checkpoint: the committed blocks home, the log
 * emptied).  So a log left holding transactions (fsync commits without
 * checkpointing) is emptied within EXT4FS_COMMIT_NS, and the next fsync
 * starts it again at its first block.  File data of MAP_SHARED pages
 * stays in the page cache until msync, fsync, munmap or the end, as
 * before.
 *
 * The list of mounts and each mount's `commit_on`, `commit_due` and
 * `commit_pins` follow the system-call rule; the commit thread runs under
 * it too.
 */
#include "core/kernel.h"
#include "core/sched.h"
#include "core/time.h"
#include "fs/ext4fs.h"

#define EXT4FS_COMMIT_NS (5ull * 1000 * 1000 * 1000)

static struct list_head mounts = LIST_HEAD_INIT(mounts); /* ext4fs_info.commit_link */
static struct waitq commit_wq;				 /* the commit thread sleeps here */
static struct thread *committer;

static void commit_timer_fired(struct ktimer *t)
{
	container_of(t, struct ext4fs_info, commit_timer)->commit_due = true;
	waitq_wake(&commit_wq);
}

/* The first mount due for a commit, or NULL. */
static struct ext4fs_info *first_due(void)
{
	struct ext4fs_info *i;

	list_for_each_entry(i, &mounts, commit_link)
		if (i->commit_due)
			return i;
	return NULL;
}

static bool any_due(void *arg)
{
	(void)arg;
	return first_due() != NULL;
}

/* The commit thread: never ends.  A mount is pinned while the thread may
 * sleep on it, so that its unmount waits (ext4fs_commit_remove). */
static void __noreturn committer_main(void *arg)
{
	struct ext4fs_info *i;
	int err;

	(void)arg;
	for (;;) {
		waitq_wait_uninterruptible(&commit_wq, any_due, NULL);
		i = first_due();
		i->commit_due = false;
		i->commit_pins++;
		ext4fs_lock_info(i);
		err = ext4_pending(&i->fs) ? ext4_checkpoint(&i->fs) : 0;
		ext4fs_unlock(i);
		i->commit_pins--;
		waitq_wake(&i->waiters);
		if (err)
			klog("ext4: the timed commit failed: error %d\n", -err);
	}
}

void ext4fs_commit_arm(struct ext4fs_info *i)
{
	if (i->commit_on && !ktimer_pending(&i->commit_timer) && ext4_pending(&i->fs)) {
		i->commit_timer.expires = time_monotonic_ns() + EXT4FS_COMMIT_NS;
		ktimer_add(&i->commit_timer);
	}
}

int ext4fs_commit_add(struct ext4fs_info *i)
{
	if (!committer) {
		waitq_init(&commit_wq);
		if (!(committer = sched_spawn_kernel(committer_main, NULL)))
			return -ENOMEM;
	}
	list_init(&i->commit_timer.node);
	i->commit_timer.fn = commit_timer_fired;
	list_add_tail(&i->commit_link, &mounts);
	i->commit_on = true;
	return 0;
}

static bool unpinned(void *arg)
{
	return !((struct ext4fs_info *)arg)->commit_pins;
}

void ext4fs_commit_remove(struct ext4fs_info *i)
{
	if (!i->commit_on)
		return;
	i->commit_on = false;
	list_del(&i->commit_link);
	ktimer_del(&i->commit_timer);
	waitq_wait_uninterruptible(&i->waiters, unpinned, i);
}
