/*
 * Credentials: who the program is (root, and it stays root), its
 * supplementary groups, and its capability sets, with the prctl options that
 * read and change them.  Process-wide; monos has one process.
 */
#include "linux/syscall.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/uaccess.h"

/* include/uapi/linux/prctl.h: the capability options. */
#define PR_GET_KEEPCAPS		 7
#define PR_SET_KEEPCAPS		 8
#define PR_CAPBSET_READ		 23
#define PR_CAPBSET_DROP		 24
#define PR_GET_SECUREBITS	 27
#define PR_CAP_AMBIENT		 47
#define PR_CAP_AMBIENT_IS_SET	 1
#define PR_CAP_AMBIENT_RAISE	 2
#define PR_CAP_AMBIENT_LOWER	 3
#define PR_CAP_AMBIENT_CLEAR_ALL 4

/* ---------------------------------------------------------------- ids */

/* Ids as the set*id calls take them: -1 (as unsigned 32 bits) keeps one. */
#define ID_KEEP ((uint32_t)-1)

/*
 * The program runs as root and stays root: a change to uid or gid 0 (or no
 * change) succeeds; a change to any other id fails with EPERM, because
 * getuid and friends (below) answer 0 whatever happens, and a program
 * told it dropped privileges that it still had would be misled.
 */
static long set_ids(uint32_t a, uint32_t b, uint32_t c)
{
	const uint32_t ids[3] = { a, b, c };
	static bool said;

	for (int i = 0; i < 3; i++) {
		if (ids[i] == ID_KEEP || ids[i] == 0)
			continue;
		/* Logged once: a program that stops here should say why. */
		if (!said)
			klog("monos: the program asked to run as uid/gid %u; monos keeps it "
			     "root: it got EPERM\n",
			     ids[i]);
		said = true;
		return -EPERM;
	}
	return 0;
}

long sys_setuid(uint32_t uid)
{
	return uid == ID_KEEP ? -EINVAL : set_ids(uid, ID_KEEP, ID_KEEP);
}

long sys_setgid(uint32_t gid)
{
	return gid == ID_KEEP ? -EINVAL : set_ids(gid, ID_KEEP, ID_KEEP);
}

long sys_setreuid(uint32_t ruid, uint32_t euid)
{
	return set_ids(ruid, euid, ID_KEEP);
}

long sys_setregid(uint32_t rgid, uint32_t egid)
{
	return set_ids(rgid, egid, ID_KEEP);
}

long sys_setresuid(uint32_t ruid, uint32_t euid, uint32_t suid)
{
	return set_ids(ruid, euid, suid);
}

long sys_setresgid(uint32_t rgid, uint32_t egid, uint32_t sgid)
{
	return set_ids(rgid, egid, sgid);
}

/* setfsuid/setfsgid never fail: they return the previous id (0) and change
 * it only when allowed, which here means to 0. */
long sys_setfsuid(uint32_t uid)
{
	return 0;
}

long sys_setfsgid(uint32_t gid)
{
	return 0;
}

/* The ids: root's, whatever the set*id calls above were asked. */
long sys_getuid(void)
{
	return 0;
}

long sys_geteuid(void)
{
	return 0;
}

long sys_getgid(void)
{
	return 0;
}

long sys_getegid(void)
{
	return 0;
}

static long put_three_zero_ids(uint64_t a, uint64_t b, uint64_t c)
{
	const uint32_t zero = 0;

	if (copy_to_user(a, &zero, sizeof(zero)) || copy_to_user(b, &zero, sizeof(zero)) ||
	    copy_to_user(c, &zero, sizeof(zero)))
		return -EFAULT;
	return 0;
}

long sys_getresuid(uint64_t ruid, uint64_t euid, uint64_t suid)
{
	return put_three_zero_ids(ruid, euid, suid);
}

long sys_getresgid(uint64_t rgid, uint64_t egid, uint64_t sgid)
{
	return put_three_zero_ids(rgid, egid, sgid);
}

/* Supplementary groups: none at start; root may set any list. */
#define NGROUPS_MAX 65536
static uint32_t *groups;
static unsigned ngroups;

long sys_getgroups(int size, uint64_t list)
{
	if (size < 0)
		return -EINVAL;
	if (!size)
		return ngroups;
	if ((unsigned long)size < ngroups)
		return -EINVAL;
	if (ngroups && copy_to_user(list, groups, ngroups * sizeof(*groups)))
		return -EFAULT;
	return ngroups;
}

long sys_setgroups(int size, uint64_t list)
{
	uint32_t *g = NULL;

	if (size < 0 || size > NGROUPS_MAX)
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
	kfree(groups);
	groups = g;
	ngroups = size;
	return 0;
}

/* -------------------------------------------------------- capabilities */

/* include/uapi/linux/capability.h as of Linux 6.1. */
#define CAP_VERSION_1 0x19980330 /* one 32-bit word per set */
#define CAP_VERSION_2 0x20071026 /* two words, deprecated */
#define CAP_VERSION_3 0x20080522 /* two words */
#define CAP_SETPCAP   8
#define CAP_LAST_CAP  40
#define CAP_ALL	      ((1ull << (CAP_LAST_CAP + 1)) - 1)
#define CAP_BIT(c)    (1ull << (c))

/* The sets of a root process: everything effective and permitted, nothing
 * inheritable or ambient, a full bounding set. */
static uint64_t cap_eff = CAP_ALL, cap_prm = CAP_ALL, cap_inh, cap_amb, cap_bset = CAP_ALL;
static bool keepcaps;

bool cred_capable(int cap)
{
	return cap >= 0 && cap <= CAP_LAST_CAP && (cap_eff & CAP_BIT(cap));
}

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
		d[i].effective = cap_eff >> (32 * i);
		d[i].permitted = cap_prm >> (32 * i);
		d[i].inheritable = cap_inh >> (32 * i);
	}
	return copy_to_user(udata, d, words * sizeof(d[0]));
}

/* Linux's cap_capset rules: nothing gained, effective within permitted. */
long sys_capset(uint64_t uhdr, uint64_t udata)
{
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
	eff = (d[0].effective | (uint64_t)d[1].effective << 32) & CAP_ALL;
	prm = (d[0].permitted | (uint64_t)d[1].permitted << 32) & CAP_ALL;
	inh = (d[0].inheritable | (uint64_t)d[1].inheritable << 32) & CAP_ALL;
	if (!(cap_eff & CAP_BIT(CAP_SETPCAP)) && (inh & ~(cap_inh | cap_prm)))
		return -EPERM;
	if ((inh & ~(cap_inh | cap_bset)) || (prm & ~cap_prm) || (eff & ~prm))
		return -EPERM;
	cap_eff = eff;
	cap_prm = prm;
	cap_inh = inh;
	cap_amb &= prm & inh;
	return 0;
}

long cred_prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	switch (option) {
	case PR_CAPBSET_READ:
		return a2 > CAP_LAST_CAP ? -EINVAL : !!(cap_bset & CAP_BIT(a2));
	case PR_CAPBSET_DROP:
		if (!(cap_eff & CAP_BIT(CAP_SETPCAP)))
			return -EPERM;
		if (a2 > CAP_LAST_CAP)
			return -EINVAL;
		cap_bset &= ~CAP_BIT(a2);
		return 0;
	case PR_GET_KEEPCAPS:
		return keepcaps;
	case PR_SET_KEEPCAPS:
		if (a2 > 1 || a3 || a4 || a5)
			return -EINVAL;
		keepcaps = a2;
		return 0;
	case PR_GET_SECUREBITS:
		return 0;
	case PR_CAP_AMBIENT:
		if (a2 == PR_CAP_AMBIENT_CLEAR_ALL) {
			if (a3 || a4 || a5)
				return -EINVAL;
			cap_amb = 0;
			return 0;
		}
		if (a3 > CAP_LAST_CAP || a4 || a5)
			return -EINVAL;
		if (a2 == PR_CAP_AMBIENT_IS_SET)
			return !!(cap_amb & CAP_BIT(a3));
		if (a2 == PR_CAP_AMBIENT_LOWER) {
			cap_amb &= ~CAP_BIT(a3);
			return 0;
		}
		if (a2 != PR_CAP_AMBIENT_RAISE)
			return -EINVAL;
		if (!(cap_prm & cap_inh & CAP_BIT(a3)))
			return -EPERM;
		cap_amb |= CAP_BIT(a3);
		return 0;
	default:
		return -ENOSYS;
	}
}
