/*
 * Interrupt and exception entry: 256 stubs that push a uniform struct regs
 * (cpu.h) and call trap_dispatch(), and the one exit path back to whatever
 * was interrupted, ring 0 or ring 3, through IRETQ.
 *
 * Intel SDM vol. 3A, 6.14: in 64-bit mode the CPU always pushes SS, RSP,
 * RFLAGS, CS, RIP and, for some exceptions, an error code.  Each stub pushes a
 * zero where the CPU pushes none, then the vector, so every frame looks alike.
 */
#include "arch/x86_64/asm.h"
#include "arch/x86_64/regs.S.h"

/* Exceptions that push an error code: #DF #TS #NP #SS #GP #PF #AC #CP. */
#define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21)

	.text
	.p2align 4
trap_common:
	testb $3, 24(%rsp)		/* CS of the interrupted context */
	jz 1f
	swapgs
1:	PUSH_REGS
	cld
	mov %rsp, %rdi
	xor %ebp, %ebp			/* backtraces stop at the trap frame */
	call trap_dispatch
	.globl trap_return
trap_return:
	POP_REGS
	add $16, %rsp			/* vector and error code */
	testb $3, 8(%rsp)
	jz 2f
	cli
	swapgs
2:	iretq

	/*
	 * trap_enter_user(regs): start (or resume) ring 3 from a struct regs
	 * built on the current kernel stack; used for the first entry to the
	 * program and whenever SYSRET cannot be used.  Never returns.
	 */
	.globl trap_enter_user
trap_enter_user:
	cli
	mov %rdi, %rsp
	jmp trap_return

	/* The stubs, 16-byte aligned so the table below can be computed. */
	.p2align 4
	.globl trap_stubs
trap_stubs:
	.set vec, 0
	.rept 256
	.p2align 4
	.if !HAS_ERROR(vec)
	push $0
	.endif
	push $vec
	jmp trap_common
	.set vec, vec + 1
	.endr
