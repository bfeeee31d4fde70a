/*
 * Memory system calls: brk, mmap, munmap, mprotect, madvise, mremap, msync,
 * mincore and the mlock family over the VMAs of core/vm.c, and memfd_create
 * (an unnamed tmpfs file, made to be mapped MAP_SHARED).  Every user range
 * passes uaccess_range_ok; each call turns a refusal into Linux's errno.
 */
#include "linux/syscall.h"
#include "core/kernel.h"
#include "core/uaccess.h"
#include "core/vm.h"
#include "fs/vfs.h"

#define MAP_SHARED	    0x01
#define MAP_PRIVATE	    0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE	    0x0f
#define MAP_FIXED	    0x10
#define MAP_ANONYMOUS	    0x20
#define MAP_FIXED_NOREPLACE 0x100000
#define PROT_SEM	    0x8 /* accepted by mprotect, meaningless on x86 */
#define MADV_NORMAL	    0
#define MADV_RANDOM	    1
#define MADV_SEQUENTIAL	    2
#define MADV_WILLNEED	    3
#define MADV_DONTNEED	    4
#define MADV_FREE	    8
#define MADV_HUGEPAGE	    14
#define MADV_NOHUGEPAGE	    15
#define MADV_DONTDUMP	    16
#define MADV_DODUMP	    17
#define BRK_MAX		    (1ul << 40)
/* include/uapi/linux/mman.h, asm-generic/mman-common.h, linux/memfd.h */
#define MREMAP_MAYMOVE	  1
#define MREMAP_FIXED	  2
#define MREMAP_DONTUNMAP  4
#define MS_ASYNC	  1
#define MS_INVALIDATE	  2
#define MS_SYNC		  4
#define MFD_CLOEXEC	  0x0001u
#define MFD_ALLOW_SEALING 0x0002u
#define MFD_HUGETLB	  0x0004u
#define MFD_NOEXEC_SEAL	  0x0008u
#define MFD_EXEC	  0x0010u
#define MFD_NAME_PREFIX	  "memfd:"
#define MFD_NAME_MAX	  (NAME_MAX - (sizeof(MFD_NAME_PREFIX) - 1))
#define MINCORE_CHUNK	  256  /* pages per copy_to_user */
#define MLOCK_ONFAULT	  0x01 /* include/uapi/asm-generic/mman-common.h */
#define MCL_CURRENT	  1
#define MCL_FUTURE	  2
#define MCL_ONFAULT	  4

long sys_brk(uint64_t addr)
{
	struct mm *mm = mm_current();
	uint64_t old_end = ALIGN_UP(mm->brk_end, PAGE_SIZE), new_end;

	/* Linux returns the unchanged break when it cannot move it. */
	if (addr < mm->brk_start || addr - mm->brk_start > BRK_MAX ||
	    !uaccess_range_ok(mm->brk_start, ALIGN_UP(addr, PAGE_SIZE) - mm->brk_start))
		return mm->brk_end;
	new_end = ALIGN_UP(addr, PAGE_SIZE);
	if (new_end > old_end) {
		if (vm_overlaps(old_end, new_end - old_end) ||
		    vm_map(old_end, new_end - old_end, PROT_READ | PROT_WRITE, NULL, NULL, 0, 0,
			   "[heap]"))
			return mm->brk_end;
	} else if (new_end < old_end) {
		vm_unmap(new_end, old_end - new_end);
	}
	mm->brk_end = addr;
	return mm->brk_end;
}

/*
 * Where a new mapping of `len` bytes (page aligned, at most USER_END) goes,
 * or -errno, in Linux's order (mm/mmap.c __get_unmapped_area, do_mmap).
 */
static long place(uint64_t addr, uint64_t len, long flags)
{
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (!uaccess_range_ok(addr, len))
			return -ENOMEM;
		if (!IS_ALIGNED(addr, PAGE_SIZE))
			return -EINVAL;
		if ((flags & MAP_FIXED_NOREPLACE) && vm_overlaps(addr, len))
			return -EEXIST;
		return addr;
	}
	/* A hint is honoured when the range is free. */
	addr = ALIGN_DOWN(addr, PAGE_SIZE);
	if (addr >= VM_MMAP_BOTTOM && uaccess_range_ok(addr, len) && addr + len <= VM_MMAP_TOP &&
	    !vm_overlaps(addr, len))
		return addr;
	addr = vm_find_free(len);
	return addr ? (long)addr : -ENOMEM;
}

/*
 * MAP_SHARED|MAP_ANONYMOUS (design.md contract 17): an unnamed tmpfs file
 * of `len` bytes mapped shared, so a fork's two sides write the same pages;
 * Linux's shmem file is named "/dev/zero (deleted)" in the maps as well.
 * The area holds the only reference.  0 or -ENOMEM.
 */
static int map_shared_anon(uint64_t at, uint64_t len, long prot)
{
	static const char name[] = "dev/zero";
	struct inode *ino = tmpfs_new_unlinked(name, sizeof(name) - 1, S_IFREG | 0600);
	int err;

	if (!ino)
		return -ENOMEM;
	vfs_iget(ino);
	err = tmpfs_truncate(ino, len);
	if (!err)
		err = vm_map_shared(at, len, prot, ino, vfs_vm_ops(ino), 0, VMA_SHARED);
	vfs_iput(ino); /* the area's reference keeps it */
	return err;
}

long sys_mmap(uint64_t addr, uint64_t len, long prot, long flags, long fd, uint64_t off)
{
	struct inode *ino = NULL;
	bool writable = false;
	long at, err;

	if (!len)
		return -EINVAL;
	prot &= PROT_READ | PROT_WRITE | PROT_EXEC; /* Linux ignores the other bits */
	if (!IS_ALIGNED(off, PAGE_SIZE))
		return -EINVAL;
	switch (flags & MAP_TYPE) {
	case MAP_SHARED:
	case MAP_PRIVATE:
	case MAP_SHARED_VALIDATE:
		break;
	default:
		return -EINVAL;
	}
	if (len > USER_END)
		return -ENOMEM;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!(flags & MAP_ANONYMOUS)) {
		struct file *f = fd_get(fd);
		if (!f)
			return -EBADF;
		if (!S_ISREG(f->inode->mode) || !f->ops->seekable)
			return -ENODEV;
		if (!file_readable(f))
			return -EACCES; /* a mapping always reads */
		writable = file_writable(f);
		if ((flags & MAP_TYPE) != MAP_PRIVATE && (prot & PROT_WRITE) && !writable)
			return -EACCES; /* shared writes to a file opened read-only */
		ino = f->inode;
	}
	at = place(addr, len, flags);
	if (at < 0)
		return at;
	if (ino && (flags & MAP_TYPE) != MAP_PRIVATE)
		err = vm_map_shared(at, len, prot, ino, vfs_vm_ops(ino), off,
				    VMA_SHARED | (writable ? 0 : VMA_NOWRITE));
	else if (ino)
		err = vm_map(at, len, prot, ino, vfs_vm_ops(ino), off, UINT64_MAX - off, NULL);
	else if ((flags & MAP_TYPE) != MAP_PRIVATE)
		err = map_shared_anon(at, len, prot);
	else
		err = vm_map(at, len, prot, NULL, NULL, 0, 0, NULL);
	return err ? -ENOMEM : at;
}

long sys_munmap(uint64_t addr, uint64_t len)
{
	if (!IS_ALIGNED(addr, PAGE_SIZE) || !uaccess_range_ok(addr, len))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE); /* stays in range: USER_END is aligned */
	return len ? vm_unmap(addr, len) : -EINVAL;
}

long sys_mprotect(uint64_t addr, uint64_t len, long prot)
{
	if (!IS_ALIGNED(addr, PAGE_SIZE))
		return -EINVAL;
	if (!len)
		return 0; /* before the other checks, as Linux */
	len = ALIGN_UP(len, PAGE_SIZE);
	if (addr + len <= addr)
		return -ENOMEM; /* wraps around (or the length did) */
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;
	return vm_protect(addr, len, prot & ~PROT_SEM); /* ENOMEM outside the user range */
}

long sys_madvise(uint64_t addr, uint64_t len, long advice)
{
	uint64_t alen = ALIGN_UP(len, PAGE_SIZE);

	switch (advice) {
	case MADV_DONTNEED:
	case MADV_FREE:
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
		break;
	default:
		return -EINVAL;
	}
	/* mm/madvise.c: the length may not round up past the end of memory. */
	if (!IS_ALIGNED(addr, PAGE_SIZE) || (len && !alen) || addr + alen < addr)
		return -EINVAL;
	if (!alen)
		return 0;
	/* Both give back the pages: the next touch sees zeros (anonymous) or
	 * the file again; MADV_FREE may keep them, but frees at once here, and
	 * is for anonymous memory only (EINVAL on a file, as Linux). */
	if (advice == MADV_DONTNEED || advice == MADV_FREE)
		return vm_discard(addr, alen, advice == MADV_FREE);
	/* Hints, but Linux still says ENOMEM for a range not wholly mapped. */
	return vm_range_mapped(addr, alen) ? 0 : -ENOMEM;
}

/* Unmap the part [addr, addr + len) a shrinking mremap gives up: Linux's
 * munmap range check applies (EINVAL). */
static long remap_cut(uint64_t addr, uint64_t len)
{
	if (!uaccess_range_ok(addr, len))
		return -EINVAL;
	return vm_unmap(addr, len);
}

/* mremap with MREMAP_FIXED: the new range is cleared first, as Linux does
 * (mm/mremap.c mremap_to). */
static long remap_fixed(uint64_t old, uint64_t old_len, uint64_t new_len, uint64_t dst)
{
	struct vma *v;
	long err;

	if (!uaccess_range_ok(dst, new_len))
		return -EINVAL;
	if (dst < old + old_len && old < dst + new_len)
		return -EINVAL; /* the ranges overlap */
	if (vm_unmap(dst, new_len))
		return -ENOMEM;
	if (new_len < old_len) {
		if ((err = remap_cut(old + new_len, old_len - new_len)))
			return err;
		old_len = new_len;
	}
	v = vm_find(old);
	if (!v || old_len > v->end - old)
		return -EFAULT;
	return vm_move(old, old_len, dst, new_len) ?: (long)dst;
}

/* mremap making [old, old + old_len) bigger, in place or moved. */
static long remap_grow(uint64_t old, uint64_t old_len, uint64_t new_len, long flags)
{
	struct vma *v = vm_find(old);
	uint64_t dst;

	if (old_len > v->end - old)
		return -EFAULT; /* across areas */
	if (!vm_grow(old, old_len, new_len))
		return old;
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	dst = vm_find_free(new_len);
	if (!dst)
		return -ENOMEM;
	return vm_move(old, old_len, dst, new_len) ?: (long)dst;
}

/* Checks in Linux's order (mm/mremap.c check_mremap_params, do_mremap). */
long sys_mremap(uint64_t old, uint64_t old_len, uint64_t new_len, long flags, uint64_t new_addr)
{
	if (flags & ~(long)(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if (!IS_ALIGNED(old, PAGE_SIZE) || !ALIGN_UP(new_len, PAGE_SIZE))
		return -EINVAL;
	/* Linux 6.18 refuses a new length past the end of memory here, before
	 * looking at the area (6.1 said ENOMEM later). */
	if (!uaccess_range_ok(0, ALIGN_UP(new_len, PAGE_SIZE)))
		return -EINVAL;
	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
		if (!IS_ALIGNED(new_addr, PAGE_SIZE) || !(flags & MREMAP_MAYMOVE))
			return -EINVAL;
		if (flags & MREMAP_DONTUNMAP) {
			report_unsupported("mremap MREMAP_DONTUNMAP");
			return -EINVAL;
		}
	}
	old_len = ALIGN_UP(old_len, PAGE_SIZE);
	new_len = ALIGN_UP(new_len, PAGE_SIZE);
	if (!vm_find(old))
		return -EFAULT;
	/* old_len 0 asks for a second mapping of shared memory: not here. */
	if (!old_len)
		return -EINVAL;
	if (flags & MREMAP_FIXED)
		return remap_fixed(old, old_len, new_len, new_addr);
	if (new_len == old_len)
		return old;
	if (new_len < old_len) /* shrinking never moves */
		return remap_cut(old + new_len, old_len - new_len) ?: (long)old;
	return remap_grow(old, old_len, new_len, flags);
}

/* MS_SYNC: each file shared by an area of [addr, end) whose pages live
 * in a page cache to write back (ext4's) is synced.  Its sync sleeps, so
 * the area is found again after each: another thread may unmap it. */
static long msync_files(uint64_t addr, uint64_t end)
{
	for (;;) {
		struct inode *file = NULL;
		int (*sync)(struct inode *) = NULL;
		long err;

		for (struct vma *v = vm_next(NULL); v && v->start < end; v = vm_next(v))
			if (v->end > addr && (v->flags & VMA_SHARED) && v->ops->sync) {
				file = v->file;
				sync = v->ops->sync;
				addr = v->end;
				break;
			}
		if (!file)
			return 0;
		vfs_iget(file);
		err = sync(file);
		vfs_iput(file);
		if (err)
			return err;
	}
}

/* tmpfs' shared mappings are the file, so only a file with its own sync
 * (ext4) has anything to write back; the rest is Linux's checking. */
long sys_msync(uint64_t addr, uint64_t len, long flags)
{
	if (!IS_ALIGNED(addr, PAGE_SIZE) || (flags & ~(long)(MS_ASYNC | MS_INVALIDATE | MS_SYNC)))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (addr + len < addr)
		return -ENOMEM;
	if (len && !vm_range_mapped(addr, len))
		return -ENOMEM;
	return flags & MS_SYNC ? msync_files(addr, addr + len) : 0;
}

long sys_mincore(uint64_t addr, uint64_t len, uint64_t uvec)
{
	uint8_t vec[MINCORE_CHUNK];
	uint64_t pages;

	if (!IS_ALIGNED(addr, PAGE_SIZE))
		return -EINVAL;
	if (!uaccess_range_ok(addr, len))
		return -ENOMEM;
	pages = ALIGN_UP(len, PAGE_SIZE) / PAGE_SIZE; /* in range: cannot wrap */
	if (!uaccess_range_ok(uvec, pages))
		return -EFAULT;
	if (!vm_range_mapped(addr, pages * PAGE_SIZE))
		return -ENOMEM;
	for (uint64_t done = 0; done < pages;) {
		size_t n = MIN(pages - done, (uint64_t)MINCORE_CHUNK);
		int err = vm_mincore(addr + done * PAGE_SIZE, n, vec);

		if (err)
			return err;
		if (copy_to_user(uvec + done, vec, n))
			return -EFAULT;
		done += n;
	}
	return 0;
}

/*
 * mlock, mlock2 and munlock: Linux's range rules (mm/mlock.c do_mlock,
 * apply_vma_lock_flags): the start rounds down and the length up, a range
 * wrapping around is EINVAL, one not wholly mapped ENOMEM.  Nothing is ever
 * paged out here, so locking is filling the pages now (`fill`), as Linux
 * does; out of frames is EAGAIN, Linux's answer.
 */
static long lock_range(uint64_t addr, uint64_t len, bool fill)
{
	uint64_t start = ALIGN_DOWN(addr, PAGE_SIZE);
	int err;

	len = ALIGN_UP(len + (addr - start), PAGE_SIZE);
	if (start + len < start)
		return -EINVAL;
	if (!len)
		return 0;
	if (!vm_range_mapped(start, len))
		return -ENOMEM;
	err = fill ? vm_populate(start, len) : 0;
	return err == -ENOMEM ? -EAGAIN : err ? -ENOMEM : 0;
}

long sys_mlock(uint64_t addr, uint64_t len)
{
	return lock_range(addr, len, true);
}

long sys_mlock2(uint64_t addr, uint64_t len, unsigned long flags)
{
	if (flags & ~(unsigned long)MLOCK_ONFAULT)
		return -EINVAL;
	return lock_range(addr, len, !(flags & MLOCK_ONFAULT));
}

long sys_munlock(uint64_t addr, uint64_t len)
{
	return lock_range(addr, len, false);
}

/* Every page stays in memory anyway; mlockall fills nothing now (a program
 * may hold huge PROT_NONE-then-writable reservations), so a page still
 * comes on its first touch. */
long sys_mlockall(unsigned long flags)
{
	if (!flags || (flags & ~(unsigned long)(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) ||
	    flags == MCL_ONFAULT)
		return -EINVAL;
	return 0;
}

long sys_munlockall(void)
{
	return 0;
}

long sys_memfd_create(uint64_t uname, unsigned long flags)
{
	char name[sizeof(MFD_NAME_PREFIX) + MFD_NAME_MAX + 1] = MFD_NAME_PREFIX;
	const size_t pre = sizeof(MFD_NAME_PREFIX) - 1;
	struct inode *ino;
	struct file *f;
	long len;

	if (flags & ~(unsigned long)(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC))
		return -EINVAL; /* MFD_HUGETLB among them: there is no hugetlbfs */
	if ((flags & MFD_NOEXEC_SEAL) && (flags & MFD_EXEC))
		return -EINVAL;
	len = strncpy_from_user(name + pre, uname, MFD_NAME_MAX + 1);
	if (len == -ENAMETOOLONG)
		return -EINVAL; /* Linux's answer for a long name */
	if (len < 0)
		return len;
	ino = tmpfs_new_unlinked(name, pre + len, S_IFREG | 0777);
	if (!ino)
		return -ENOMEM;
	f = vfs_open(ino, O_RDWR);
	if (IS_ERR(f)) {
		vfs_iget(ino), vfs_iput(ino); /* frees it */
		return PTR_ERR(f);
	}
	return fd_install_new(f, flags & MFD_CLOEXEC);
}
