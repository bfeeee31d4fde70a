/*
 * File permissions (fs layer): Linux's owner/group/other checks with the
 * capabilities that override them (fs/namei.c generic_permission,
 * may_create, may_delete, may_open; fs/attr.c setattr_prepare;
 * fs/inode.c inode_init_owner), against the caller's filesystem ids and
 * effective capabilities (core/cred.h).
 *
 * Every function returns 0 when allowed, else the errno Linux gives; none
 * changes anything but perm_init_owner.  A read-only filesystem is not
 * their business: the callers report EROFS where Linux does.  Syscall
 * context (they read cred_current()).
 */
#ifndef FS_PERM_H
#define FS_PERM_H

#include <stdbool.h>
#include <stdint.h>

struct inode;

/* The rights asked for (include/linux/fs.h MAY_*). */
#define MAY_EXEC  1
#define MAY_WRITE 2
#define MAY_READ  4

/* generic_permission: may the caller have `mask` on `ino`?  -EACCES. */
int perm_inode(struct inode *ino, int mask);

/* inode_owner_or_capable: the caller's fsuid owns `ino`, or CAP_FOWNER. */
bool perm_owner(struct inode *ino);

/* May the caller add an entry to `dir` (write and search)?  -EACCES. */
int perm_may_create(struct inode *dir);

/* May the caller remove or replace entry `victim` of `dir`?  -EACCES
 * without write and search on `dir`; -EPERM when `dir` is sticky and the
 * caller owns neither (nor has CAP_FOWNER). */
int perm_may_delete(struct inode *dir, struct inode *victim);

/* May the caller make a hard link to `target`?  As Linux with
 * fs.protected_hardlinks = 1 (systemd's and so Debian's setting): the owner,
 * CAP_FOWNER, or a regular file that is neither set-user-ID nor
 * set-group-ID-executable and that the caller may read and write; else
 * -EPERM. */
int perm_may_link(struct inode *target);

/* May an existing `ino` be opened with O_* `flags` (read and write as the
 * access mode and O_TRUNC ask)?  O_PATH needs nothing.  -EACCES. */
int perm_may_open(struct inode *ino, unsigned flags);

/* A new inode `ino` in `dir`: owned by the caller's fsuid, and by its fsgid
 * or, in a set-group-ID directory, by the directory's group (a new
 * directory there is set-group-ID too). */
void perm_init_owner(struct inode *ino, struct inode *dir);

/* chmod: the mode to store for `mode` (the set-group-ID bit dropped for a
 * caller outside the file's group without CAP_FSETID), or -EPERM when the
 * caller neither owns the file nor has CAP_FOWNER. */
long perm_chmod(struct inode *ino, uint32_t mode);

/* chown to `uid`/`gid` ((uint32_t)-1: unchanged): -EPERM unless the owner
 * keeps the owner and gives a group of its own, or CAP_CHOWN. */
int perm_chown(struct inode *ino, uint32_t uid, uint32_t gid);

/* utimes: setting explicit times needs the owner or CAP_FOWNER (-EPERM);
 * setting them to now, the owner or write permission (-EACCES). */
int perm_utimes(struct inode *ino, bool explicit_times);

#endif
