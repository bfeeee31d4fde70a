/*
 * ELF64 executable checking: turns an untrusted file into a struct elf_info
 * the exec code can load without further checks (contract in <lib/elf.h>).
 *
 * Order of checks: the identification bytes, the header, the program header
 * table's place in the file, then each program header.  Bounds are always
 * tested as "size > limit - offset" after "offset <= limit", so no sum of
 * untrusted values is ever formed before it is known not to wrap.
 */
#include <lib/elf.h>
#include <lib/errno.h>
#include <lib/string.h>

#define ELF_PAGE_MASK (ELF_PAGE_SIZE - 1)

/* What the program-header walk has gathered so far. */
struct elf_walk {
	struct elf_info *info;
	const unsigned char *buf;
	size_t len;	   /* bytes at buf: the headers and PT_INTERP's path */
	uint64_t file_len; /* the whole file's: PT_LOAD's bytes */
	uint64_t prev_end; /* end of the previous PT_LOAD, for order and overlap */
	unsigned nload;
	bool have_phdr; /* a PT_PHDR gave phdr_vaddr */
};

static int elf_fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -ENOEXEC;
}

static const char *elf_type_phrase(uint16_t type)
{
	switch (type) {
	case 0:
		return "not an executable (ELF type 0, none)";
	case 1:
		return "not an executable (ELF type 1, relocatable object)";
	case 4:
		return "not an executable (ELF type 4, core dump)";
	default:
		return "not an executable (unknown ELF type)";
	}
}

/* Check the identification and header fields; fills type and entry. */
static const char *elf_check_header(const unsigned char *b, size_t len, struct elf64_ehdr *eh)
{
	if (len < ELF_MAG_LEN || memcmp(b, ELF_MAG, ELF_MAG_LEN))
		return "not an ELF file";
	if (len <= ELF_EI_CLASS || b[ELF_EI_CLASS] != ELF_CLASS64)
		return "not a 64-bit ELF file";
	if (len <= ELF_EI_DATA || b[ELF_EI_DATA] != ELF_DATA2LSB)
		return "not a little-endian ELF file";
	if (len < sizeof(*eh))
		return "truncated ELF header";
	memcpy(eh, b, sizeof(*eh)); /* the buffer need not be aligned */
	if (eh->e_machine != EM_X86_64)
		return "not an x86-64 program";
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return elf_type_phrase(eh->e_type);
	if (eh->e_phentsize != sizeof(struct elf64_phdr))
		return "bad program header size";
	if (eh->e_phnum == 0)
		return "no loadable segment";
	if (eh->e_phoff > len ||
	    (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr) > len - eh->e_phoff)
		return "program headers outside the file";
	/* The table is used in place as an array of structs. */
	if (((uintptr_t)b + eh->e_phoff) % _Alignof(struct elf64_phdr))
		return "misaligned program headers";
	return NULL;
}

/* Whether [off, off + size) lies inside the buffer. */
static bool elf_in_file(const struct elf_walk *w, uint64_t off, uint64_t size)
{
	return off <= w->len && size <= w->len - off;
}

static const char *elf_check_load(struct elf_walk *w, const struct elf64_phdr *ph)
{
	struct elf_info *info = w->info;
	uint64_t lo, hi;

	if (ph->p_filesz > ph->p_memsz)
		return "segment file size exceeds its memory size";
	if (ph->p_offset > w->file_len || ph->p_filesz > w->file_len - ph->p_offset)
		return "segment outside the file";
	if (ph->p_memsz > UINT64_MAX - ph->p_vaddr)
		return "segment sizes overflow";
	if (ph->p_vaddr + ph->p_memsz > ELF_USER_TOP)
		return "segment outside the user address space";
	/* Mapping the file in place needs equal offsets within the page. */
	if ((ph->p_vaddr - ph->p_offset) & ELF_PAGE_MASK)
		return "segment misaligned";
	if (w->nload && ph->p_vaddr < w->prev_end)
		return "segments overlap";
	w->prev_end = ph->p_vaddr + ph->p_memsz;
	lo = ph->p_vaddr & ~ELF_PAGE_MASK;
	hi = (w->prev_end + ELF_PAGE_MASK) & ~ELF_PAGE_MASK;
	if (!w->nload || lo < info->lo)
		info->lo = lo;
	if (!w->nload || hi > info->hi)
		info->hi = hi;
	w->nload++;
	return NULL;
}

/* PT_INTERP: one path, NUL terminated, no NUL inside, of sane length. */
static const char *elf_check_interp(struct elf_walk *w, const struct elf64_phdr *ph)
{
	const char *path;

	if (w->info->interp || ph->p_filesz < 2 || ph->p_filesz > ELF_INTERP_MAX ||
	    !elf_in_file(w, ph->p_offset, ph->p_filesz))
		return "bad interpreter path";
	path = (const char *)w->buf + ph->p_offset;
	if (strnlen(path, ph->p_filesz) != ph->p_filesz - 1)
		return "bad interpreter path";
	w->info->interp = path;
	return NULL;
}

static const char *elf_check_phdr(struct elf_walk *w, const struct elf64_phdr *ph)
{
	switch (ph->p_type) {
	case PT_LOAD:
		return elf_check_load(w, ph);
	case PT_INTERP:
		return elf_check_interp(w, ph);
	case PT_PHDR:
		w->info->phdr_vaddr = ph->p_vaddr;
		w->have_phdr = true;
		return NULL;
	case PT_GNU_STACK:
		w->info->exec_stack = (ph->p_flags & PF_X) != 0;
		return NULL;
	default:
		return NULL;
	}
}

/*
 * Without PT_PHDR, the program headers are mapped if a PT_LOAD's file bytes
 * contain them (as Linux computes AT_PHDR).
 */
static uint64_t elf_find_phdr_vaddr(const struct elf_info *info, uint64_t phoff)
{
	uint64_t size = (uint64_t)info->phnum * sizeof(struct elf64_phdr);

	for (uint16_t i = 0; i < info->phnum; i++) {
		const struct elf64_phdr *ph = &info->phdr[i];

		if (ph->p_type == PT_LOAD && phoff >= ph->p_offset &&
		    phoff - ph->p_offset <= ph->p_filesz &&
		    size <= ph->p_filesz - (phoff - ph->p_offset))
			return ph->p_vaddr + (phoff - ph->p_offset);
	}
	return 0;
}

/* Whether @addr lies inside one of the PT_LOAD segments. */
static bool elf_addr_loaded(const struct elf_info *info, uint64_t addr)
{
	for (uint16_t i = 0; i < info->phnum; i++) {
		const struct elf64_phdr *ph = &info->phdr[i];

		if (ph->p_type == PT_LOAD && addr >= ph->p_vaddr &&
		    addr - ph->p_vaddr < ph->p_memsz)
			return true;
	}
	return false;
}

int elf_parse(const void *buf, size_t len, struct elf_info *info, const char **why)
{
	return elf_parse_head(buf, len, len, info, why);
}

int elf_parse_head(const void *buf, size_t len, uint64_t file_len, struct elf_info *info,
		   const char **why)
{
	struct elf64_ehdr eh;
	struct elf_walk w = { info, buf,  len < file_len ? len : (size_t)file_len, file_len, 0,
			      0,    false };
	const char *err = elf_check_header(buf, len, &eh);

	if (err)
		return elf_fail(why, err);
	memset(info, 0, sizeof(*info));
	info->type = eh.e_type;
	info->entry = eh.e_entry;
	info->phdr = (const struct elf64_phdr *)((const unsigned char *)buf + eh.e_phoff);
	info->phnum = eh.e_phnum;
	for (uint16_t i = 0; i < info->phnum; i++) {
		err = elf_check_phdr(&w, &info->phdr[i]);
		if (err)
			return elf_fail(why, err);
	}
	if (!w.nload)
		return elf_fail(why, "no loadable segment");
	if (!elf_addr_loaded(info, info->entry))
		return elf_fail(why, "entry point outside the program");
	if (!w.have_phdr)
		info->phdr_vaddr = elf_find_phdr_vaddr(info, eh.e_phoff);
	return 0;
}
