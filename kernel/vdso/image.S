/*
 * The vDSO's bytes (vdso.c linked by vdso.lds), embedded in the kernel image.
 * Page aligned and padded to a whole page, so the kernel can map these very
 * pages into the program (vdso_map.c) and no other kernel data shares them:
 * the program can read every byte of a page it is given.
 * VDSO_SO, the path of the linked object, comes from vdso.mk.
 */
	.section .rodata.vdso, "a"
	.balign 4096
	.globl vdso_image_start, vdso_image_end
vdso_image_start:
	.incbin VDSO_SO
vdso_image_end:
	.balign 4096
	.section .note.GNU-stack, "", @progbits
