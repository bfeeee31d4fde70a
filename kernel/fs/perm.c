/*
 * File permissions (fs layer): the owner/group/other checks of Linux and
 * the capabilities that override them.  The contract is fs/perm.h; the
 * callers are path lookup (fs/vfs.c), the tree changes (fs/namei.c) and
 * the system calls that open or change files (linux/sys_fs.c,
 * linux/sys_path.c, exec/exec.c).
 */
#include "fs/perm.h"
#include "fs/vfs.h"
#include "core/cred.h"
#include "core/kernel.h"

#define S_ISUID 04000
#define S_ISGID 02000
#define S_ISVTX 01000
#define S_IXGRP 00010
#define S_IXUGO 00111
#define ID_KEEP ((uint32_t)-1)

/* acl_permission_check without ACLs: the owner's bits for the owner (even
 * when others may do more), the group's for a member, else the others'. */
static int mode_check(struct inode *ino, int mask)
{
	const struct cred *c = cred_current();
	uint32_t mode = ino->mode;

	if (ino->uid == c->fsuid)
		mode >>= 6;
	else if (cred_in_group(ino->gid))
		mode >>= 3;
	return (mask & ~mode & 7) ? -EACCES : 0;
}

int perm_inode(struct inode *ino, int mask)
{
	if (!mode_check(ino, mask))
		return 0;
	if (S_ISDIR(ino->mode)) {
		/* Reading and searching directories: CAP_DAC_READ_SEARCH;
		 * anything: CAP_DAC_OVERRIDE. */
		if (!(mask & MAY_WRITE) && cred_capable(CAP_DAC_READ_SEARCH))
			return 0;
		return cred_capable(CAP_DAC_OVERRIDE) ? 0 : -EACCES;
	}
	if (mask == MAY_READ && cred_capable(CAP_DAC_READ_SEARCH))
		return 0;
	/* Executing needs at least one x bit, even for root. */
	if ((!(mask & MAY_EXEC) || (ino->mode & S_IXUGO)) && cred_capable(CAP_DAC_OVERRIDE))
		return 0;
	return -EACCES;
}

bool perm_owner(struct inode *ino)
{
	return ino->uid == cred_current()->fsuid || cred_capable(CAP_FOWNER);
}

int perm_may_create(struct inode *dir)
{
	return perm_inode(dir, MAY_WRITE | MAY_EXEC);
}

int perm_may_delete(struct inode *dir, struct inode *victim)
{
	uint32_t fsuid = cred_current()->fsuid;
	int err = perm_inode(dir, MAY_WRITE | MAY_EXEC);

	if (err)
		return err;
	/* The sticky bit (/tmp): only the file's or the directory's owner. */
	if ((dir->mode & S_ISVTX) && victim->uid != fsuid && dir->uid != fsuid &&
	    !cred_capable(CAP_FOWNER))
		return -EPERM;
	return 0;
}

int perm_may_link(struct inode *target)
{
	uint32_t mode = target->mode;

	if (perm_owner(target))
		return 0;
	if (S_ISREG(mode) && !(mode & S_ISUID) &&
	    (mode & (S_ISGID | S_IXGRP)) != (S_ISGID | S_IXGRP) &&
	    !perm_inode(target, MAY_READ | MAY_WRITE))
		return 0;
	return -EPERM;
}

int perm_may_open(struct inode *ino, unsigned flags)
{
	int mask = 0;

	if (flags & O_PATH)
		return 0;
	if ((flags & O_ACCMODE) != O_WRONLY)
		mask |= MAY_READ;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		mask |= MAY_WRITE;
	return perm_inode(ino, mask);
}

void perm_init_owner(struct inode *ino, struct inode *dir)
{
	cred_new_owner(&ino->uid, &ino->gid);
	if (!(dir->mode & S_ISGID))
		return;
	ino->gid = dir->gid;
	if (S_ISDIR(ino->mode))
		ino->mode |= S_ISGID;
	else if ((ino->mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) &&
		 !cred_in_group(ino->gid) && !cred_capable(CAP_FSETID))
		ino->mode &= ~S_ISGID; /* Linux's mode_strip_sgid */
}

long perm_chmod(struct inode *ino, uint32_t mode)
{
	if (!perm_owner(ino))
		return -EPERM;
	if ((mode & S_ISGID) && !cred_in_group(ino->gid) && !cred_capable(CAP_FSETID))
		mode &= ~S_ISGID;
	return mode;
}

int perm_chown(struct inode *ino, uint32_t uid, uint32_t gid)
{
	bool own = ino->uid == cred_current()->fsuid;

	if (cred_capable(CAP_CHOWN))
		return 0;
	if (uid != ID_KEEP && !(own && uid == ino->uid))
		return -EPERM;
	if (gid != ID_KEEP && !(own && (gid == ino->gid || cred_in_group(gid))))
		return -EPERM;
	return 0;
}

int perm_utimes(struct inode *ino, bool explicit_times)
{
	if (perm_owner(ino))
		return 0;
	return explicit_times ? -EPERM : perm_inode(ino, MAY_WRITE);
}
