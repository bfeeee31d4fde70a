/*
 * Mapping the vDSO into the program.  Two pages of the kernel image are lent
 * to user space: the vvar page (core/time.c writes it) and the vDSO text
 * (image.S).  Each is presented to the VMA layer as a file of no filesystem
 * whose bytes lie in place, so the page-fault handler maps the kernel's own
 * frames (PTE_IMAGE: never freed; a write after mprotect copies, as for any
 * image file) and refills them after munmap/madvise like any file mapping.
 * The vvar page cannot be made writable at all.
 */
#include "vdso/vdso_map.h"
#include "core/kernel.h"
#include "core/random.h"
#include "core/time.h"
#include "core/vm.h"
#include "fs/vfs.h"

/* Where the pair may go: the lower half of the gap between the mmap area
 * and the stack, leaving the upper half to the stack.  2^17 page slots: the
 * randomisation Linux gives its vDSO (vdso_addr(), 2^18 slots) is of this
 * order. */
#define VDSO_AREA_START VM_MMAP_TOP
#define VDSO_AREA_SIZE	((VM_STACK_TOP - VM_STACK_SIZE - VM_MMAP_TOP) / 2)

extern const uint8_t vdso_image_start[], vdso_image_end[];

/* The two "files": no parent, no filesystem, never freed (vfs_iput frees
 * tmpfs inodes only).  Their sizes are set at first use. */
static struct inode vvar_inode = { .mode = S_IFREG | 0444, .nlink = 1 };
static struct inode text_inode = { .mode = S_IFREG | 0555, .nlink = 1 };

/* A random page-aligned address with room for `len` bytes in the area. */
static uint64_t pick_address(uint64_t len)
{
	uint64_t r, slots = (VDSO_AREA_SIZE - len) / PAGE_SIZE;

	random_fill(&r, sizeof(r));
	return VDSO_AREA_START + r % slots * PAGE_SIZE;
}

long vdso_map_install(void)
{
	uint64_t text_len = ALIGN_UP((uint64_t)(vdso_image_end - vdso_image_start), PAGE_SIZE);
	uint64_t base = pick_address(PAGE_SIZE + text_len);

	vvar_inode.data = time_vvar_page();
	vvar_inode.size = PAGE_SIZE;
	text_inode.data = vdso_image_start;
	text_inode.size = text_len;
	/* VMA_NOWRITE: mprotect cannot make the vvar page writable (EACCES, as
	 * Linux, whose vvar mapping lacks VM_MAYWRITE); a private copy would
	 * stop following the kernel's updates. */
	if (vm_map_shared(base, PAGE_SIZE, PROT_READ, &vvar_inode, &image_vm_ops, 0, VMA_NOWRITE))
		return -ENOMEM;
	vm_find(base)->name = "[vvar]"; /* vm_map_shared takes no name */
	if (vm_map(base + PAGE_SIZE, text_len, PROT_READ | PROT_EXEC, &text_inode, &image_vm_ops, 0,
		   text_len, "[vdso]")) {
		vm_unmap(base, PAGE_SIZE);
		return -ENOMEM;
	}
	return (long)(base + PAGE_SIZE);
}
