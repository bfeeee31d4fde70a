/*
 * Credentials (core layer): the process's struct cred and the rules of
 * Linux's security/commoncap.c that follow every change of uid and every
 * exec.  The contract is in core/cred.h; the system calls are
 * linux/sys_cred.c.
 */
#include "core/cred.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"

/* The first process's credentials: root with every capability until
 * cred_init says otherwise (a kernel booted without per-run data). */
static struct cred first_cred = { .cap_prm = CAP_FULL_SET,
				  .cap_eff = CAP_FULL_SET,
				  .cap_bset = CAP_FULL_SET };
static struct cred *override;

struct cred *cred_first(void)
{
	return &first_cred;
}

struct cred *cred_current(void)
{
	return override ? override : sched_current()->cred;
}

void cred_override(struct cred *c)
{
	override = c;
}

void cred_revert(void)
{
	override = NULL;
}

struct cred *cred_dup(const struct cred *c)
{
	struct cred *n = kmalloc(sizeof(*n));

	if (!n)
		return NULL;
	*n = *c;
	if (c->ngroups) {
		n->groups = kmalloc(c->ngroups * sizeof(*c->groups));
		if (!n->groups) {
			kfree(n);
			return NULL;
		}
		memcpy(n->groups, c->groups, c->ngroups * sizeof(*c->groups));
	} else {
		n->groups = NULL;
	}
	return n;
}

void cred_free(struct cred *c)
{
	if (c == &first_cred)
		return;
	kfree(c->groups);
	kfree(c);
}

bool cred_may_signal(const struct cred *t)
{
	const struct cred *c = cred_current();

	return c->euid == t->suid || c->euid == t->uid || c->uid == t->suid || c->uid == t->uid ||
	       cred_capable(CAP_KILL);
}

bool cred_owns(const struct cred *t)
{
	const struct cred *c = cred_current();

	return c->uid == t->euid && c->uid == t->suid && c->uid == t->uid && c->gid == t->egid &&
	       c->gid == t->sgid && c->gid == t->gid;
}

void cred_new_owner(uint32_t *uid, uint32_t *gid)
{
	*uid = cred_current()->fsuid;
	*gid = cred_current()->fsgid;
}

bool cred_capable(int cap)
{
	return cap >= 0 && cap <= CAP_LAST_CAP && (cred_current()->cap_eff & CAP_BIT(cap));
}

bool cred_in_group(uint32_t gid)
{
	const struct cred *c = cred_current();

	if (gid == c->fsgid)
		return true;
	for (unsigned i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

/* Shell sort (Ciura's gaps): up to 65,536 groups, no recursion, no heap. */
static void sort_gids(uint32_t *g, unsigned n)
{
	static const unsigned gaps[] = { 1750, 701, 301, 132, 57, 23, 10, 4, 1 };

	for (unsigned k = 0; k < ARRAY_SIZE(gaps); k++) {
		unsigned gap = gaps[k];
		for (unsigned i = gap; i < n; i++) {
			uint32_t v = g[i];
			unsigned j = i;
			for (; j >= gap && g[j - gap] > v; j -= gap)
				g[j] = g[j - gap];
			g[j] = v;
		}
	}
}

void cred_set_groups(uint32_t *groups, unsigned n)
{
	struct cred *c = cred_current();

	sort_gids(groups, n);
	kfree(c->groups);
	c->groups = groups;
	c->ngroups = n;
}

int cred_init(uint32_t uid, uint32_t gid, const uint32_t *groups, unsigned n)
{
	struct cred *c = &first_cred;
	uint32_t *g = NULL;

	if (n && !(g = kmalloc(n * sizeof(*g))))
		return -ENOMEM;
	if (n)
		memcpy(g, groups, n * sizeof(*g));
	c->uid = c->euid = c->suid = c->fsuid = uid;
	c->gid = c->egid = c->sgid = c->fsgid = gid;
	cred_set_groups(g, n);
	c->cap_inh = c->cap_amb = 0;
	c->cap_bset = CAP_FULL_SET;
	c->cap_prm = c->cap_eff = uid ? 0 : CAP_FULL_SET;
	c->securebits = 0;
	return 0;
}

static bool secure(const struct cred *c, int bit)
{
	return c->securebits & SECBIT(bit);
}

/* security/commoncap.c cap_emulate_setxuid and the LSM_SETID_FS case. */
void cred_fix_setuid(struct cred *c, const struct cred *old, bool fs_only)
{
	if (secure(old, SECURE_NO_SETUID_FIXUP))
		return;
	if (fs_only) {
		if (!old->fsuid && c->fsuid)
			c->cap_eff &= ~CAP_FS_SET;
		if (old->fsuid && !c->fsuid)
			c->cap_eff |= c->cap_prm & CAP_FS_SET;
		return;
	}
	if ((!old->uid || !old->euid || !old->suid) && c->uid && c->euid && c->suid) {
		if (!secure(old, SECURE_KEEP_CAPS))
			c->cap_prm = c->cap_eff = 0;
		c->cap_amb = 0; /* setresuid to non-root then exec drops them */
	}
	if (!old->euid && c->euid)
		c->cap_eff = 0;
	if (old->euid && !c->euid)
		c->cap_eff = c->cap_prm;
}

#define S_ISUID 04000
#define S_ISGID 02000
#define S_IXGRP 00010

bool cred_exec(uint32_t mode, uint32_t uid, uint32_t gid)
{
	struct cred *c = cred_current();
	bool setid, root;

	/* bprm_fill_uid: a set-group-ID file without group execute is
	 * mandatory locking, not set-group-ID. */
	if (mode & S_ISUID)
		c->euid = uid;
	if ((mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		c->egid = gid;
	setid = c->euid != c->uid || c->egid != c->gid;
	/* get_file_caps starts from an empty permitted set; root (real or
	 * effective) gets the bounding and inheritable sets, unless NOROOT. */
	root = !secure(c, SECURE_NOROOT) && (!c->euid || !c->uid);
	c->cap_prm = root ? (c->cap_bset | c->cap_inh) : 0;
	c->suid = c->fsuid = c->euid;
	c->sgid = c->fsgid = c->egid;
	if (setid)
		c->cap_amb = 0;
	c->cap_prm |= c->cap_amb;
	/* Only an effective root runs with its permitted set effective. */
	c->cap_eff = !secure(c, SECURE_NOROOT) && !c->euid ? c->cap_prm : c->cap_amb;
	c->securebits &= ~SECBIT(SECURE_KEEP_CAPS);
	/* Linux's "privilege-elevated exec" test (bprm->secureexec). */
	return setid || (c->uid && (!c->euid || (c->cap_prm & ~c->cap_amb)));
}
