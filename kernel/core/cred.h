/*
 * Credentials (core layer): who a process is, as Linux's struct cred says
 * it: real, effective, saved and filesystem user and group ids, the
 * supplementary groups, the five capability sets and the securebits.
 * Everything that asks "may the caller do this?" reads them through
 * cred_current(); the system calls that change them are linux/sys_cred.c,
 * the file permission checks fs/perm.c.
 *
 * A process's threads point at one struct cred (thread->cred; the first
 * process's is owned by this file, cred_first); fork will give the child a
 * copy.  Callers reach it only through cred_current(), so they need not
 * change.
 * (Linux keeps creds per thread and libc's set*id broadcasts the change to
 * every thread; here all threads share the process's, which gives the same
 * result for programs that go through libc.)
 *
 * What guards it: the implicit lock of a kernel that is not preemptible
 * (vfs.h); nothing here sleeps.
 */
#ifndef CORE_CRED_H
#define CORE_CRED_H

#include <stdbool.h>
#include <stdint.h>

/* Capabilities (include/uapi/linux/capability.h, Linux 6.1). */
#define CAP_CHOWN	    0
#define CAP_DAC_OVERRIDE    1
#define CAP_DAC_READ_SEARCH 2
#define CAP_FOWNER	    3
#define CAP_FSETID	    4
#define CAP_KILL	    5
#define CAP_SETGID	    6
#define CAP_SETUID	    7
#define CAP_SETPCAP	    8
#define CAP_IPC_OWNER	    15
#define CAP_SYS_ADMIN	    21
#define CAP_SYS_NICE	    23
#define CAP_SYS_RESOURCE    24
#define CAP_SYS_TIME	    25
#define CAP_MAC_OVERRIDE    32
#define CAP_LAST_CAP	    40
#define CAP_BIT(c)	    (1ull << (c))
#define CAP_FULL_SET	    (CAP_BIT(CAP_LAST_CAP + 1) - 1)
/* The capabilities a change of fsuid to or from 0 drops or raises
 * (include/linux/capability.h CAP_FS_SET: CAP_FS_MASK and
 * CAP_LINUX_IMMUTABLE; measured on Linux 6.1 as 0x10800021f). */
#define CAP_LINUX_IMMUTABLE 9
#define CAP_MKNOD	    27
#define CAP_FS_SET                                                                                 \
	(CAP_BIT(CAP_CHOWN) | CAP_BIT(CAP_DAC_OVERRIDE) | CAP_BIT(CAP_DAC_READ_SEARCH) |           \
	 CAP_BIT(CAP_FOWNER) | CAP_BIT(CAP_FSETID) | CAP_BIT(CAP_LINUX_IMMUTABLE) |                \
	 CAP_BIT(CAP_MKNOD) | CAP_BIT(CAP_MAC_OVERRIDE))

/* securebits (include/uapi/linux/securebits.h): bit numbers; each has a
 * "locked" bit one above it. */
#define SECURE_NOROOT		    0
#define SECURE_NO_SETUID_FIXUP	    2
#define SECURE_KEEP_CAPS	    4
#define SECURE_NO_CAP_AMBIENT_RAISE 6
#define SECBIT(b)		    (1u << (b))
#define SECURE_ALL_BITS                                                                            \
	(SECBIT(SECURE_NOROOT) | SECBIT(SECURE_NO_SETUID_FIXUP) | SECBIT(SECURE_KEEP_CAPS) |       \
	 SECBIT(SECURE_NO_CAP_AMBIENT_RAISE))
#define SECURE_ALL_LOCKS (SECURE_ALL_BITS << 1)

#define CRED_NGROUPS_MAX 65536 /* Linux's NGROUPS_MAX */

struct cred {
	uint32_t uid, euid, suid, fsuid;
	uint32_t gid, egid, sgid, fsgid;
	uint32_t *groups; /* supplementary groups, ascending (Linux sorts
			   * them); kmalloc'ed, owned by the cred */
	unsigned ngroups;
	uint64_t cap_inh, cap_prm, cap_eff, cap_bset, cap_amb;
	unsigned securebits; /* SECBIT(SECURE_*) and their locks */
};

/* The credentials of the calling process (or an override, see below):
 * its thread's (sched.h, thread->cred, shared by the process's threads). */
struct cred *cred_current(void);

/* The first process's credentials, for its first thread (init). */
struct cred *cred_first(void);

/*
 * Set the process's credentials at boot, before the program is loaded: all
 * four uids `uid`, all four gids `gid`, the `n` supplementary groups of
 * `groups` (copied; sorted here), root's capabilities for uid 0 and none
 * for anyone else (the bounding set stays full), as a container runtime
 * starts a process.  Returns 0 or -ENOMEM.  Init only.
 */
int cred_init(uint32_t uid, uint32_t gid, const uint32_t *groups, unsigned n);

/* A copy of `c` for a new process (fork), its groups copied; NULL when
 * out of memory.  cred_free gives it back (never the first process's). */
struct cred *cred_dup(const struct cred *c);
void cred_free(struct cred *c);

/* Whether the caller may send a signal to a process with credentials `t`
 * (Linux's kill_ok_by_cred: a real or effective uid matching the target's
 * real or saved one, or CAP_KILL). */
bool cred_may_signal(const struct cred *t);

/* Whether the caller's real uid and gid are every uid and gid of `t`
 * (Linux's check for prlimit on another process). */
bool cred_owns(const struct cred *t);

/* The owner of a new object (file, pipe, socket): the caller's fsuid and
 * fsgid into *uid and *gid. */
void cred_new_owner(uint32_t *uid, uint32_t *gid);

/* Is capability `cap` (CAP_*) in the effective set? */
bool cred_capable(int cap);

/* Is `gid` the filesystem gid or one of the supplementary groups?
 * (Linux's in_group_p, which file permissions use.) */
bool cred_in_group(uint32_t gid);

/* Replace the supplementary groups with the `n` gids of `groups`, which the
 * cred takes over (kmalloc'ed or NULL for none); they are sorted here. */
void cred_set_groups(uint32_t *groups, unsigned n);

/*
 * Linux's cap_task_fix_setuid: after a set*uid call changed the ids of
 * `c` from those of `old`, drop or restore capabilities as Linux does
 * (all uids leaving 0 clears permitted and effective unless KEEP_CAPS,
 * and ambient always; euid leaving 0 clears effective, coming back to 0
 * restores it from permitted).  `fs_only`: a setfsuid, which moves only
 * the filesystem capabilities with fsuid.
 */
void cred_fix_setuid(struct cred *c, const struct cred *old, bool fs_only);

/*
 * What execve does to the credentials for a program file of `mode`,
 * owned by `uid`:`gid` (Linux's bprm_fill_uid and cap_bprm_creds_from_file
 * without file capabilities): set-user-ID and set-group-ID bits change the
 * effective ids, the saved and filesystem ids follow them, root (real or
 * effective) gets the bounding and inheritable sets as permitted, others
 * the ambient set; KEEP_CAPS is cleared.  Returns true when the program
 * runs with ids or capabilities it did not have (AT_SECURE).
 */
bool cred_exec(uint32_t mode, uint32_t uid, uint32_t gid);

/*
 * Run with other credentials for a moment (faccessat checks with the real
 * ids): cred_current() returns `c` until cred_revert().  Not nested; the
 * caller must not sleep in between (the override is not per thread).
 */
void cred_override(struct cred *c);
void cred_revert(void);

#endif
