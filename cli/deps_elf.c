/*
 * What a dynamic loader reads from an ELF object before it maps it: the
 * interpreter (PT_INTERP) and the dynamic section's names (DT_NEEDED,
 * DT_SONAME, DT_RPATH, DT_RUNPATH), whose strings live in the table at
 * DT_STRTAB/DT_STRSZ.  That table is given by virtual address, so it is
 * found through the PT_LOAD segments.
 *
 * Every file is hostile: elf_parse() checks the header and program headers
 * first, then each read here is bounds- and overflow-checked, so a damaged
 * library is a one-line reason, never a crash.  deps.c does the searching.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lib/elf.h>

#include "cli.h"

/* One dynamic-section entry (Elf64_Dyn), read with memcpy: no alignment. */
struct deps_dyn {
	int64_t tag;
	uint64_t val;
};
/* File offset of the `len` bytes at virtual address `addr`, or -1. */
static int64_t vaddr_to_off(const struct elf_info *info, uint64_t addr, uint64_t len)
{
	for (uint16_t i = 0; i < info->phnum; i++) {
		const struct elf64_phdr *ph = &info->phdr[i];

		if (ph->p_type != PT_LOAD || addr < ph->p_vaddr)
			continue;
		/* elf_parse() checked p_offset + p_filesz lies in the file. */
		if (addr - ph->p_vaddr <= ph->p_filesz &&
		    len <= ph->p_filesz - (addr - ph->p_vaddr))
			return (int64_t)(ph->p_offset + (addr - ph->p_vaddr));
	}
	return -1;
}

/* The dynamic section's bounds and its string table, checked. */
struct deps_dynamic {
	const uint8_t *dyn;
	size_t ndyn;
	const char *strtab;
	uint64_t strsz;
};

static const char *find_dynamic(const uint8_t *buf, size_t len, const struct elf_info *info,
				struct deps_dynamic *d)
{
	uint64_t strtab = 0;
	int64_t off;

	memset(d, 0, sizeof(*d));
	for (uint16_t i = 0; i < info->phnum; i++) {
		const struct elf64_phdr *ph = &info->phdr[i];

		if (ph->p_type != PT_DYNAMIC)
			continue;
		if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset)
			return "dynamic section outside the file";
		d->dyn = buf + ph->p_offset;
		d->ndyn = ph->p_filesz / sizeof(struct deps_dyn);
	}
	for (size_t i = 0; i < d->ndyn; i++) {
		struct deps_dyn e;

		memcpy(&e, d->dyn + i * sizeof(e), sizeof(e));
		if (e.tag == DT_NULL)
			break;
		if (e.tag == DT_STRTAB)
			strtab = e.val;
		else if (e.tag == DT_STRSZ)
			d->strsz = e.val;
	}
	if (!strtab)
		return NULL; /* no string table: then no names either */
	off = vaddr_to_off(info, strtab, d->strsz);
	if (off < 0 || d->strsz == 0)
		return "string table outside the file";
	d->strtab = (const char *)buf + off;
	return NULL;
}

/* The string at `val` in the table, or NULL if it is not inside it. */
static const char *dyn_string(const struct deps_dynamic *d, uint64_t val)
{
	if (!d->strtab || val >= d->strsz || !memchr(d->strtab + val, '\0', d->strsz - val))
		return NULL;
	return d->strtab + val;
}

/* Copy the names the loader cares about out of the dynamic section. */
static const char *read_dynamic(const struct deps_dynamic *d, struct deps_object *o)
{
	for (size_t i = 0; i < d->ndyn; i++) {
		struct deps_dyn e;
		const char *s;
		char **slot = NULL;

		memcpy(&e, d->dyn + i * sizeof(e), sizeof(e));
		if (e.tag == DT_NULL)
			break;
		if (e.tag != DT_NEEDED && e.tag != DT_SONAME && e.tag != DT_RPATH &&
		    e.tag != DT_RUNPATH)
			continue;
		s = dyn_string(d, e.val);
		if (!s || (e.tag == DT_NEEDED && !*s))
			return "bad string in the dynamic section";
		if (e.tag == DT_NEEDED) {
			char **nv = realloc(o->needed, (o->nneeded + 1) * sizeof(char *));

			if (!nv)
				return "out of memory";
			o->needed = nv;
			if (!(nv[o->nneeded] = strdup(s)))
				return "out of memory";
			o->nneeded++;
			continue;
		}
		slot = e.tag == DT_SONAME  ? &o->soname
		       : e.tag == DT_RPATH ? &o->rpath
					   : &o->runpath;
		free(*slot);
		*slot = strdup(s);
		if (!*slot)
			return "out of memory";
	}
	return NULL;
}

/*
 * Read the ELF file at `path` into `o`.  Returns 1 when ld.so would pass it
 * over (not ELF, another class, byte order or machine), 0 when read, or -1
 * with one line in `err` when it is a damaged x86-64 ELF file or unreadable.
 */
int deps_elf_read(const char *path, bool shared, struct deps_object *o, char *err, size_t errlen)
{
	const unsigned char *b = MAP_FAILED;
	const char *why = NULL;
	struct elf_info info;
	struct deps_dynamic d;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 1;

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR
			       ? 1
			       : (snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		goto out; /* a directory of that name: ld.so moves on too */
	if (st.st_size >= ELF_EI_NIDENT)
		b = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (b == MAP_FAILED || memcmp(b, ELF_MAG, ELF_MAG_LEN) || b[ELF_EI_CLASS] != ELF_CLASS64 ||
	    b[ELF_EI_DATA] != ELF_DATA2LSB)
		goto out;
	if ((size_t)st.st_size >= sizeof(struct elf64_ehdr) &&
	    ((const struct elf64_ehdr *)b)->e_machine != EM_X86_64)
		goto out;
	if (elf_parse(b, st.st_size, &info, &why) == 0 && shared && info.type != ET_DYN)
		why = "not a shared object";
	if (!why)
		why = find_dynamic(b, st.st_size, &info, &d);
	if (!why)
		why = read_dynamic(&d, o);
	if (!why && info.interp && !(o->interp = strdup(info.interp)))
		why = "out of memory";
	if (why)
		snprintf(err, errlen, "%s: malformed ELF file (%s)", path, why);
	rc = why ? -1 : 0;
out:
	if (b != MAP_FAILED)
		munmap((void *)b, st.st_size);
	close(fd);
	return rc;
}
/* Free what deps_elf_read() and the resolver put in `o`, and clear it. */
void deps_elf_free(struct deps_object *o)
{
	free(o->name);
	free(o->path);
	free(o->soname);
	free(o->rpath);
	free(o->runpath);
	free(o->interp);
	for (size_t i = 0; i < o->nneeded; i++)
		free(o->needed[i]);
	free(o->needed);
	memset(o, 0, sizeof(*o));
}
