/*
 * Memory system calls: brk, mmap, munmap, mprotect, madvise, over the VMAs
 * of core/vm.c.
 */
#include "linux/syscall.h"
#include "core/kernel.h"
#include "core/vm.h"
#include "fs/vfs.h"

#define MAP_SHARED	    0x01
#define MAP_PRIVATE	    0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE	    0x0f
#define MAP_FIXED	    0x10
#define MAP_ANONYMOUS	    0x20
#define MAP_FIXED_NOREPLACE 0x100000
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

long sys_brk(uint64_t addr)
{
	uint64_t old_end = ALIGN_UP(vm_brk_end, PAGE_SIZE), new_end = ALIGN_UP(addr, PAGE_SIZE);

	/* Linux returns the unchanged break when it cannot move it. */
	if (addr < vm_brk_start || addr - vm_brk_start > BRK_MAX)
		return vm_brk_end;
	if (new_end > old_end) {
		if (vm_overlaps(old_end, new_end - old_end) ||
		    vm_map(old_end, new_end - old_end, PROT_READ | PROT_WRITE, NULL, 0, 0,
			   "[heap]"))
			return vm_brk_end;
	} else if (new_end < old_end) {
		vm_unmap(new_end, old_end - new_end);
	}
	vm_brk_end = addr;
	return vm_brk_end;
}

/* Where a new mapping of `len` bytes goes, or -errno. */
static long place(uint64_t addr, uint64_t len, long flags)
{
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (!IS_ALIGNED(addr, PAGE_SIZE))
			return -EINVAL;
		if (addr + len > USER_TOP || addr + len < addr)
			return -ENOMEM;
		if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) && vm_overlaps(addr, len))
			return -EEXIST;
		return addr;
	}
	/* A hint is honoured when the range is free. */
	addr = ALIGN_UP(addr, PAGE_SIZE);
	if (addr && addr >= VM_MMAP_BOTTOM && addr + len <= VM_MMAP_TOP && !vm_overlaps(addr, len))
		return addr;
	addr = vm_find_free(len);
	return addr ? (long)addr : -ENOMEM;
}

long sys_mmap(uint64_t addr, uint64_t len, long prot, long flags, long fd, uint64_t off)
{
	struct inode *ino = NULL;
	long at;

	if (!len || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EINVAL;
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
	if (len > USER_TOP)
		return -ENOMEM;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!(flags & MAP_ANONYMOUS)) {
		struct file *f = fd_get(fd);
		if (!f)
			return -EBADF;
		if (!S_ISREG(f->inode->mode) || !f->ops->seekable)
			return -ENODEV;
		if ((flags & MAP_TYPE) != MAP_PRIVATE && (prot & PROT_WRITE))
			return -EACCES; /* shared writes to a read-only file */
		ino = f->inode;
	}
	at = place(addr, len, flags);
	if (at < 0)
		return at;
	/* One process: a shared anonymous mapping behaves as a private one. */
	if (vm_map(at, len, prot, ino, off, ino ? (off < ino->size ? ino->size - off : 0) : 0,
		   NULL))
		return -ENOMEM;
	return at;
}

long sys_munmap(uint64_t addr, uint64_t len)
{
	if (!IS_ALIGNED(addr, PAGE_SIZE) || !len || addr >= USER_TOP || len > USER_TOP - addr)
		return -EINVAL;
	return vm_unmap(addr, ALIGN_UP(len, PAGE_SIZE));
}

long sys_mprotect(uint64_t addr, uint64_t len, long prot)
{
	if (!IS_ALIGNED(addr, PAGE_SIZE) || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!len)
		return 0;
	if (addr >= USER_TOP || len > USER_TOP - addr)
		return -ENOMEM;
	return vm_protect(addr, len, prot);
}

long sys_madvise(uint64_t addr, uint64_t len, long advice)
{
	if (!IS_ALIGNED(addr, PAGE_SIZE))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (addr >= USER_TOP || len > USER_TOP - addr)
		return -EINVAL;
	switch (advice) {
	case MADV_DONTNEED:
	case MADV_FREE:
		/* Both give back the pages: the next touch sees zeros (anonymous)
		 * or the file again, which MADV_FREE also allows. */
		return len ? vm_discard(addr, len) : 0;
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
		return 0; /* hints */
	default:
		return -EINVAL;
	}
}
