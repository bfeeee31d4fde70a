/*
 * mount(2) and umount2(2): the Linux layer's view of the mount table
 * (fs/mount.c), with Linux's order of checks (fs/namespace.c do_mount,
 * path_mount, ksys_umount): the arguments are copied, the target looked
 * up, then the right to mount (CAP_SYS_ADMIN) checked, then the request.
 * New mounts are of tmpfs; bind and move mounts are not supported (EINVAL,
 * logged), other filesystem types give ENODEV (logged).
 */
#include "linux/syscall.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/uaccess.h"
#include "fs/mount.h"

#define MS_NOUSER      (1ul << 31)
#define MOUNT_STR_MAX  PATH_MAX	 /* copy_mount_string: strndup_user(s, PATH_MAX) */
#define MOUNT_DATA_MAX PAGE_SIZE /* copy_mount_options: one page */

/* A mount(2) string argument: NULL stays NULL; ERR_PTR(-EFAULT, -EINVAL
 * when too long, -ENOMEM).  `max` bytes at most, NUL included. */
static char *copy_arg(uint64_t ustr, size_t max, bool cut)
{
	char *s;
	long r;

	if (!ustr)
		return NULL;
	if (!(s = kmalloc(max)))
		return ERR_PTR(-ENOMEM);
	r = strncpy_from_user(s, ustr, max);
	if (r >= 0 && (size_t)r >= max && cut)
		s[max - 1] = 0, r = max - 1; /* the options page ends the string */
	if (r >= 0 && (size_t)r < max)
		return s;
	kfree(s);
	return ERR_PTR(r < 0 ? r : -EINVAL);
}

/* What path_mount does once the target is known and the caller may. */
static long do_mount(struct inode *target, const char *source, const char *type,
		     unsigned long flags, const char *data)
{
	unsigned long prop = flags & MS_PROPAGATION;

	if (flags & MS_REMOUNT)
		return mount_remount(target, flags, data);
	if (flags & (MS_BIND | MS_MOVE)) {
		klog("monos: mount(2) with MS_%s is not supported: it got EINVAL\n",
		     flags & MS_BIND ? "BIND" : "MOVE");
		return -EINVAL;
	}
	if (prop) {
		/* One type at a time (flags_to_propagation_type), on a mount
		 * root.  With one namespace and no bind mounts no mount has a
		 * peer, so every type leaves nothing to do. */
		if ((flags & ~(MS_REC | MS_SILENT)) != prop || (prop & (prop - 1)))
			return -EINVAL;
		return mount_is_root(target) ? 0 : -EINVAL;
	}
	if (!type)
		return -EINVAL;
	long r = mount_at(target, type, source, flags, data);
	if (r == -ENODEV)
		klog("monos: mount(2) of a %s filesystem is not supported: it got ENODEV\n", type);
	return r;
}

/* The copied arguments of one mount(2) (NULL: not given). */
struct mount_args {
	char *type, *source, *data;
};

static long copy_args(struct mount_args *a, uint64_t utype, uint64_t usource, uint64_t udata)
{
	*a = (struct mount_args){ 0 };
	a->type = copy_arg(utype, MOUNT_STR_MAX, false);
	if (!IS_ERR(a->type))
		a->source = copy_arg(usource, MOUNT_STR_MAX, false);
	if (!IS_ERR(a->type) && !IS_ERR(a->source))
		a->data = copy_arg(udata, MOUNT_DATA_MAX, true);
	for (char **p = &a->type; p <= &a->data; p++) {
		if (IS_ERR(*p)) {
			long r = PTR_ERR(*p);
			*p = NULL;
			return r;
		}
	}
	return 0;
}

long sys_mount(uint64_t usource, uint64_t utarget, uint64_t utype, unsigned long flags,
	       uint64_t udata)
{
	struct mount_args a;
	struct inode *target;
	long r = copy_args(&a, utype, usource, udata);

	if (!r) {
		if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
			flags &= ~MS_MGC_MSK;
		target = path_at_lookup(AT_FDCWD, utarget, 0);
		if (IS_ERR(target))
			r = PTR_ERR(target);
		else if (flags & MS_NOUSER)
			r = -EINVAL;
		else if (!cred_capable(CAP_SYS_ADMIN))
			r = -EPERM;
		else
			r = do_mount(target, a.source, a.type, flags, a.data);
	}
	kfree(a.type);
	kfree(a.source);
	kfree(a.data);
	return r;
}

long sys_umount2(uint64_t utarget, long flags)
{
	struct inode *target;

	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	target = path_at_lookup(AT_FDCWD, utarget,
				flags & UMOUNT_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : 0);
	if (IS_ERR(target))
		return PTR_ERR(target);
	if (!cred_capable(CAP_SYS_ADMIN))
		return -EPERM;
	return mount_umount(target, flags & ~UMOUNT_NOFOLLOW);
}
