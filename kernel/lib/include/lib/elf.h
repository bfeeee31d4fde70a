/*
 * ELF64 executables: the structures (our own definitions; the standard
 * field names) and a checking parser that tells the exec code where each
 * part of a program is.
 *
 * The file is hostile until parse succeeds: elf_parse() checks every offset,
 * size and address with overflow guards, so that afterwards the program
 * headers and every PT_LOAD's file bytes are known to lie inside the buffer.
 * Host code may include <elf.h> as well: each constant is defined only if
 * <elf.h> has not, with the same value.
 */
#ifndef LIB_ELF_H
#define LIB_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* e_ident[] */
#define ELF_MAG	       "\177ELF"
#define ELF_MAG_LEN    4
#define ELF_EI_CLASS   4
#define ELF_EI_DATA    5
#define ELF_EI_VERSION 6
#define ELF_EI_NIDENT  16
#define ELF_CLASS64    2
#define ELF_DATA2LSB   1
#define ELF_EV_CURRENT 1

#ifndef ET_EXEC
#define ET_EXEC 2 /* fixed-address executable */
#endif
#ifndef ET_DYN
#define ET_DYN 3 /* position independent: PIE or shared object */
#endif
#ifndef EM_X86_64
#define EM_X86_64 62
#endif

/* p_type */
#ifndef PT_NULL
#define PT_NULL 0
#endif
#ifndef PT_LOAD
#define PT_LOAD 1
#endif
#ifndef PT_DYNAMIC
#define PT_DYNAMIC 2
#endif
#ifndef PT_INTERP
#define PT_INTERP 3
#endif
#ifndef PT_NOTE
#define PT_NOTE 4
#endif
#ifndef PT_PHDR
#define PT_PHDR 6
#endif
#ifndef PT_TLS
#define PT_TLS 7
#endif
#ifndef PT_GNU_STACK
#define PT_GNU_STACK 0x6474e551
#endif
#ifndef PT_GNU_RELRO
#define PT_GNU_RELRO 0x6474e552
#endif

/* p_flags */
#ifndef PF_X
#define PF_X 1
#endif
#ifndef PF_W
#define PF_W 2
#endif
#ifndef PF_R
#define PF_R 4
#endif

#define ELF_PAGE_SIZE 4096ull
/* End of the lower canonical half: no user segment may reach beyond it. */
#define ELF_USER_TOP 0x0000800000000000ull
/* Longest PT_INTERP path accepted, including its NUL (Linux's PATH_MAX). */
#define ELF_INTERP_MAX 4096

struct elf64_ehdr {
	unsigned char e_ident[16];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};

/* What elf_parse() learnt; pointers point into the parsed buffer. */
struct elf_info {
	uint16_t type;		       /* ET_EXEC or ET_DYN */
	uint64_t entry;		       /* e_entry (add the load bias for ET_DYN) */
	const struct elf64_phdr *phdr; /* the program headers, inside the buffer */
	uint16_t phnum;
	uint64_t phdr_vaddr; /* address of the program headers once loaded, 0 if not mapped */
	uint64_t lo, hi;     /* page-rounded span of all PT_LOAD segments */
	const char *interp;  /* PT_INTERP path inside buf, NUL terminated, or NULL */
	bool exec_stack;     /* PT_GNU_STACK asks for PF_X (absent: no, as on x86-64 Linux) */
};

/*
 * elf_parse - check that the @len bytes at @buf are an x86-64 ELF64 program
 * monos can load, and describe it in @info.
 *
 * Returns 0, or -ENOEXEC with *@why (if @why is not NULL) set to a short
 * static phrase suitable for "cannot run X: <why>".  Checks: ELF magic,
 * 64-bit, little endian, x86-64, type ET_EXEC or ET_DYN, program headers
 * inside the file, at least one PT_LOAD, every PT_LOAD with p_filesz <=
 * p_memsz, file bytes inside the file, addresses below ELF_USER_TOP without
 * overflow, p_offset and p_vaddr congruent modulo the page size, PT_LOADs
 * in ascending order without overlap, the entry point inside a PT_LOAD, and
 * a NUL-terminated PT_INTERP.  @buf needs no particular alignment.
 */
int elf_parse(const void *buf, size_t len, struct elf_info *info, const char **why);

/*
 * elf_parse_head - elf_parse of a file of `file_len` bytes of which only
 * the first `len` are at @buf: the header, the program headers and
 * PT_INTERP's path must lie in them ("program headers outside the file",
 * "bad interpreter path" otherwise: read more and try again), PT_LOAD's
 * bytes in the file.  So a program on a share need not be read whole.
 */
int elf_parse_head(const void *buf, size_t len, uint64_t file_len, struct elf_info *info,
		   const char **why);

#endif
