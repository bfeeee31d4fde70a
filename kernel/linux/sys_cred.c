/*
 * Credential system calls: the set*id and get*id families, supplementary
 * groups, capget/capset and the prctl options about capabilities, with
 * Linux's rules (kernel/sys.c, kernel/capability.c, security/commoncap.c).
 * The credentials themselves are core/cred.c's.
 */
#include "linux/syscall.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/uaccess.h"

/* include/uapi/linux/prctl.h: the capability options. */
#define PR_GET_KEEPCAPS		 7
#define PR_SET_KEEPCAPS		 8
#define PR_CAPBSET_READ		 23
#define PR_CAPBSET_DROP		 24
#define PR_GET_SECUREBITS	 27
#define PR_SET_SECUREBITS	 28
#define PR_CAP_AMBIENT		 47
#define PR_CAP_AMBIENT_IS_SET	 1
#define PR_CAP_AMBIENT_RAISE	 2
#define PR_CAP_AMBIENT_LOWER	 3
#define PR_CAP_AMBIENT_CLEAR_ALL 4

/* ---------------------------------------------------------------- ids */

/* Ids as the set*id calls take them: -1 (as unsigned 32 bits) keeps one. */
#define ID_KEEP ((uint32_t)-1)

/* The four ids of one kind (user or group) inside a struct cred, so one
 * implementation of Linux's rules (kernel/sys.c) serves both kinds. */
struct ids {
	uint32_t *r, *e, *s, *fs;
};

static struct ids ids_of(struct cred *c, bool group)
{
	return group ? (struct ids){ &c->gid, &c->egid, &c->sgid, &c->fsgid }
		     : (struct ids){ &c->uid, &c->euid, &c->suid, &c->fsuid };
}

/* CAP_SETUID or CAP_SETGID, whichever rules that kind of id. */
static bool may_set(bool group)
{
	return cred_capable(group ? CAP_SETGID : CAP_SETUID);
}

/* Is `id` one of the caller's real, effective or saved ids? */
static bool is_own(struct ids o, uint32_t id)
{
	return id == *o.r || id == *o.e || id == *o.s;
}

/* Commit a change made to `c` (a copy of the process's cred `old`): user
 * ids move capabilities as Linux's cap_task_fix_setuid does. */
static long commit(struct cred *c, struct cred *old, bool group)
{
	if (!group)
		cred_fix_setuid(c, old, false);
	*old = *c;
	return 0;
}

/* setuid(2), setgid(2): with the capability all ids, else only the
 * effective (and fs) id, to the real or saved one. */
static long set_id(uint32_t id, bool group)
{
	struct cred *old = cred_current(), c = *old;
	struct ids n = ids_of(&c, group);

	if (id == ID_KEEP)
		return -EINVAL;
	if (may_set(group))
		*n.r = *n.s = id;
	else if (id != *n.r && id != *n.s)
		return -EPERM;
	*n.e = *n.fs = id;
	return commit(&c, old, group);
}

long sys_setuid(uint32_t uid)
{
	return set_id(uid, false);
}

long sys_setgid(uint32_t gid)
{
	return set_id(gid, true);
}

/* setreuid(2), setregid(2): the real id to the real or effective one, the
 * effective id to any of the three; the saved id follows the effective one
 * when the real id is given or the effective one leaves the real one. */
static long set_re(uint32_t r, uint32_t e, bool group)
{
	struct cred *old = cred_current(), c = *old;
	struct ids o = ids_of(old, group), n = ids_of(&c, group);
	bool cap = may_set(group);

	if (r != ID_KEEP) {
		if (r != *o.r && r != *o.e && !cap)
			return -EPERM;
		*n.r = r;
	}
	if (e != ID_KEEP) {
		if (!is_own(o, e) && !cap)
			return -EPERM;
		*n.e = e;
	}
	if (r != ID_KEEP || (e != ID_KEEP && e != *o.r))
		*n.s = *n.e;
	*n.fs = *n.e;
	return commit(&c, old, group);
}

long sys_setreuid(uint32_t ruid, uint32_t euid)
{
	return set_re(ruid, euid, false);
}

long sys_setregid(uint32_t rgid, uint32_t egid)
{
	return set_re(rgid, egid, true);
}

/* setresuid(2), setresgid(2): without the capability each new id must be
 * one of the caller's three; the fs id follows the effective one. */
static long set_res(uint32_t r, uint32_t e, uint32_t s, bool group)
{
	struct cred *old = cred_current(), c = *old;
	struct ids o = ids_of(old, group), n = ids_of(&c, group);
	const uint32_t want[3] = { r, e, s };

	for (int i = 0; i < 3; i++)
		if (want[i] != ID_KEEP && !is_own(o, want[i]) && !may_set(group))
			return -EPERM;
	if (r != ID_KEEP)
		*n.r = r;
	if (e != ID_KEEP)
		*n.e = e;
	if (s != ID_KEEP)
		*n.s = s;
	*n.fs = *n.e;
	return commit(&c, old, group);
}

long sys_setresuid(uint32_t ruid, uint32_t euid, uint32_t suid)
{
	return set_res(ruid, euid, suid, false);
}

long sys_setresgid(uint32_t rgid, uint32_t egid, uint32_t sgid)
{
	return set_res(rgid, egid, sgid, true);
}

/* setfsuid(2), setfsgid(2) never fail: they return the previous fs id and
 * change it only to one of the caller's four ids, or with the capability. */
static long set_fs(uint32_t id, bool group)
{
	struct cred *old = cred_current(), c = *old;
	struct ids o = ids_of(old, group), n = ids_of(&c, group);
	uint32_t prev = *o.fs;

	if (id == ID_KEEP || id == prev || (!is_own(o, id) && !may_set(group)))
		return prev;
	*n.fs = id;
	if (!group)
		cred_fix_setuid(&c, old, true);
	*old = c;
	return prev;
}

long sys_setfsuid(uint32_t uid)
{
	return set_fs(uid, false);
}

long sys_setfsgid(uint32_t gid)
{
	return set_fs(gid, true);
}

static long put_three_ids(struct ids o, uint64_t a, uint64_t b, uint64_t c)
{
	if (copy_to_user(a, o.r, sizeof(*o.r)) || copy_to_user(b, o.e, sizeof(*o.e)) ||
	    copy_to_user(c, o.s, sizeof(*o.s)))
		return -EFAULT;
	return 0;
}

long sys_getresuid(uint64_t ruid, uint64_t euid, uint64_t suid)
{
	return put_three_ids(ids_of(cred_current(), false), ruid, euid, suid);
}

long sys_getresgid(uint64_t rgid, uint64_t egid, uint64_t sgid)
{
	return put_three_ids(ids_of(cred_current(), true), rgid, egid, sgid);
}

long sys_getuid(void)
{
	return cred_current()->uid;
}

long sys_geteuid(void)
{
	return cred_current()->euid;
}

long sys_getgid(void)
{
	return cred_current()->gid;
}

long sys_getegid(void)
{
	return cred_current()->egid;
}

/* Supplementary groups: returned in ascending order, as Linux sorts them. */
long sys_getgroups(int size, uint64_t list)
{
	const struct cred *c = cred_current();

	if (size < 0)
		return -EINVAL;
	if (!size)
		return c->ngroups;
	if ((unsigned long)size < c->ngroups)
		return -EINVAL;
	if (c->ngroups && copy_to_user(list, c->groups, c->ngroups * sizeof(*c->groups)))
		return -EFAULT;
	return c->ngroups;
}

/* Linux checks the capability before the size. */
long sys_setgroups(int size, uint64_t list)
{
	uint32_t *g = NULL;

	if (!cred_capable(CAP_SETGID))
		return -EPERM;
	if ((unsigned)size > CRED_NGROUPS_MAX)
		return -EINVAL;
	if (size) {
		g = kmalloc(size * sizeof(*g));
		if (!g)
			return -ENOMEM;
		if (copy_from_user(g, list, size * sizeof(*g))) {
			kfree(g);
			return -EFAULT;
		}
	}
	for (int i = 0; i < size; i++) {
		if (g[i] == ID_KEEP) { /* no such group: Linux's gid_valid */
			kfree(g);
			return -EINVAL;
		}
	}
	cred_set_groups(g, size);
	return 0;
}

/* -------------------------------------------------------- capabilities */

/* include/uapi/linux/capability.h as of Linux 6.1. */
#define CAP_VERSION_1 0x19980330 /* one 32-bit word per set */
#define CAP_VERSION_2 0x20071026 /* two words, deprecated */
#define CAP_VERSION_3 0x20080522 /* two words */

struct cap_header {
	uint32_t version;
	int32_t pid;
};

struct cap_data {
	uint32_t effective, permitted, inheritable;
};

/* Linux's cap_validate_magic: the number of words the version carries, or
 * -EINVAL after telling the caller the version we prefer. */
static long cap_words(uint64_t uhdr)
{
	struct cap_header h;
	const uint32_t v3 = CAP_VERSION_3;

	if (copy_from_user(&h, uhdr, sizeof(h)))
		return -EFAULT;
	if (h.version == CAP_VERSION_1)
		return 1;
	if (h.version == CAP_VERSION_2 || h.version == CAP_VERSION_3)
		return 2;
	if (copy_to_user(uhdr, &v3, sizeof(v3)))
		return -EFAULT;
	return -EINVAL;
}

long sys_capget(uint64_t uhdr, uint64_t udata)
{
	const struct cred *c = cred_current();
	struct cap_data d[2];
	struct cap_header h;
	long words = cap_words(uhdr);

	if (!udata) /* a version probe: EINVAL only told the version */
		return words == -EINVAL ? 0 : MIN(words, 0L);
	if (words < 0)
		return words;
	if (copy_from_user(&h, uhdr, sizeof(h)))
		return -EFAULT;
	if (h.pid < 0)
		return -EINVAL;
	if (!proc_is_self(h.pid))
		return -ESRCH;
	for (int i = 0; i < 2; i++) {
		d[i].effective = c->cap_eff >> (32 * i);
		d[i].permitted = c->cap_prm >> (32 * i);
		d[i].inheritable = c->cap_inh >> (32 * i);
	}
	return copy_to_user(udata, d, words * sizeof(d[0]));
}

/* Linux's cap_capset rules: nothing gained, effective within permitted. */
long sys_capset(uint64_t uhdr, uint64_t udata)
{
	struct cred *c = cred_current();
	struct cap_data d[2] = { 0 };
	struct cap_header h;
	uint64_t eff, prm, inh;
	long words = cap_words(uhdr);

	if (words < 0)
		return words;
	if (copy_from_user(&h, uhdr, sizeof(h)))
		return -EFAULT;
	if (!proc_is_self(h.pid))
		return -EPERM; /* only the caller's own sets may change */
	if (copy_from_user(d, udata, words * sizeof(d[0])))
		return -EFAULT;
	eff = (d[0].effective | (uint64_t)d[1].effective << 32) & CAP_FULL_SET;
	prm = (d[0].permitted | (uint64_t)d[1].permitted << 32) & CAP_FULL_SET;
	inh = (d[0].inheritable | (uint64_t)d[1].inheritable << 32) & CAP_FULL_SET;
	if (!cred_capable(CAP_SETPCAP) && (inh & ~(c->cap_inh | c->cap_prm)))
		return -EPERM;
	if ((inh & ~(c->cap_inh | c->cap_bset)) || (prm & ~c->cap_prm) || (eff & ~prm))
		return -EPERM;
	c->cap_eff = eff;
	c->cap_prm = prm;
	c->cap_inh = inh;
	c->cap_amb &= prm & inh;
	return 0;
}

/* PR_CAP_AMBIENT's sub-commands. */
static long ambient(struct cred *c, uint64_t op, uint64_t cap, uint64_t a4, uint64_t a5)
{
	if (op == PR_CAP_AMBIENT_CLEAR_ALL) {
		if (cap || a4 || a5)
			return -EINVAL;
		c->cap_amb = 0;
		return 0;
	}
	if (cap > CAP_LAST_CAP || a4 || a5)
		return -EINVAL;
	if (op == PR_CAP_AMBIENT_IS_SET)
		return !!(c->cap_amb & CAP_BIT(cap));
	if (op == PR_CAP_AMBIENT_LOWER) {
		c->cap_amb &= ~CAP_BIT(cap);
		return 0;
	}
	if (op != PR_CAP_AMBIENT_RAISE)
		return -EINVAL;
	if (!(c->cap_prm & c->cap_inh & CAP_BIT(cap)) ||
	    (c->securebits & SECBIT(SECURE_NO_CAP_AMBIENT_RAISE)))
		return -EPERM;
	c->cap_amb |= CAP_BIT(cap);
	return 0;
}

/* PR_SET_SECUREBITS (security/commoncap.c): CAP_SETPCAP, no locked bit
 * changed, no lock released, no unknown bit. */
static long set_securebits(struct cred *c, uint64_t bits)
{
	unsigned old = c->securebits;

	if ((((old & SECURE_ALL_LOCKS) >> 1) & (old ^ bits)) || (old & ~bits & SECURE_ALL_LOCKS) ||
	    (bits & ~(uint64_t)(SECURE_ALL_BITS | SECURE_ALL_LOCKS)) || !cred_capable(CAP_SETPCAP))
		return -EPERM;
	c->securebits = bits;
	return 0;
}

long cred_prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	struct cred *c = cred_current();

	switch (option) {
	case PR_CAPBSET_READ:
		return a2 > CAP_LAST_CAP ? -EINVAL : !!(c->cap_bset & CAP_BIT(a2));
	case PR_CAPBSET_DROP:
		if (!cred_capable(CAP_SETPCAP))
			return -EPERM;
		if (a2 > CAP_LAST_CAP)
			return -EINVAL;
		c->cap_bset &= ~CAP_BIT(a2);
		return 0;
	case PR_GET_KEEPCAPS:
		return !!(c->securebits & SECBIT(SECURE_KEEP_CAPS));
	case PR_SET_KEEPCAPS:
		if (a2 > 1 || a3 || a4 || a5)
			return -EINVAL;
		if (c->securebits & SECBIT(SECURE_KEEP_CAPS + 1)) /* its lock */
			return -EPERM;
		c->securebits = (c->securebits & ~SECBIT(SECURE_KEEP_CAPS)) |
				(a2 ? SECBIT(SECURE_KEEP_CAPS) : 0);
		return 0;
	case PR_GET_SECUREBITS:
		return c->securebits;
	case PR_SET_SECUREBITS:
		return set_securebits(c, a2);
	case PR_CAP_AMBIENT:
		return ambient(c, a2, a3, a4, a5);
	default:
		return -ENOSYS;
	}
}
