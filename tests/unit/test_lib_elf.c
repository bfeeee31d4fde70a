/*
 * Unit tests of kernel/lib/elf.c on real programs compiled at test time
 * (glibc static, static-pie and dynamic, musl static, /bin/true) and on
 * corrupted copies of them.  The host's own <elf.h> is included as well, to
 * prove the two sets of definitions coexist.
 */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "unit.h"
#include "../../kernel/lib/elf.c"

static char tmpdir[] = "/tmp/monos-elf-XXXXXX";

/* A program that prints where the kernel mapped its program headers. */
static const char probe_src[] = "#include <stdio.h>\n#include <sys/auxv.h>\n"
				"int main(void) { printf(\"%lx %lx\\n\", getauxval(AT_PHDR),"
				" getauxval(AT_ENTRY)); return 0; }\n";

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;

	*len = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(*len + 8);
	if (fread(buf, 1, *len, f) != *len)
		*len = 0;
	fclose(f);
	return buf;
}

static int build_programs(void)
{
	char cmd[2048];
	FILE *f;

	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/probe.c", tmpdir);
	f = fopen(cmd, "w");
	if (!f)
		return -1;
	fputs(probe_src, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && gcc -O2 -static -o static probe.c && "
		 "gcc -O2 -static-pie -o static-pie probe.c && gcc -O2 -o dynamic probe.c && "
		 "gcc -O2 -no-pie -o dynamic-nopie probe.c && "
		 "musl-gcc -O2 -static -o musl-static probe.c && "
		 "gcc -O2 -z execstack -static -o execstack probe.c 2>/dev/null && "
		 "gcc -c -o probe.o probe.c",
		 tmpdir);
	return system(cmd);
}

/* Parse program @name in tmpdir (or an absolute path). */
static int parse_file(const char *name, struct elf_info *info, const char **why, uint8_t **bufp,
		      size_t *lenp)
{
	char path[512];
	int r;

	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	*bufp = slurp(path, lenp);
	if (!*bufp)
		return -ENOENT;
	r = elf_parse(*bufp, *lenp, info, why);
	return r;
}

/* Run program @name and read the AT_PHDR and AT_ENTRY it reports. */
static int run_probe(const char *name, unsigned long *phdr, unsigned long *entry)
{
	char cmd[512];
	FILE *p;
	int n;

	snprintf(cmd, sizeof(cmd), "%s/%s", tmpdir, name);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fscanf(p, "%lx %lx", phdr, entry);
	pclose(p);
	return n == 2 ? 0 : -1;
}

static void check_common(const struct elf_info *info)
{
	CHECK_EQ(info->lo & 4095, 0);
	CHECK_EQ(info->hi & 4095, 0);
	CHECK(info->lo < info->hi);
	CHECK(info->entry >= info->lo && info->entry < info->hi);
	CHECK(info->phnum > 0 && info->phdr != NULL);
	CHECK(!info->exec_stack);
}

TEST(elf_static_matches_kernel)
{
	struct elf_info info;
	const char *why = NULL;
	uint8_t *buf;
	size_t len;
	unsigned long phdr = 0, entry = 0;

	CHECK_EQ(parse_file("static", &info, &why, &buf, &len), 0);
	CHECK_EQ(info.type, ET_EXEC);
	CHECK(info.interp == NULL);
	check_common(&info);
	/* A fixed-address program: Linux's AT_PHDR and AT_ENTRY are ours. */
	CHECK_EQ(run_probe("static", &phdr, &entry), 0);
	CHECK_EQ(info.phdr_vaddr, phdr);
	CHECK_EQ(info.entry, entry);
	free(buf);
}

/* Position independent: addresses agree with Linux's up to the load bias. */
static void check_pie(const char *name, bool interp)
{
	struct elf_info info;
	const char *why = NULL;
	uint8_t *buf;
	size_t len;
	unsigned long phdr = 0, entry = 0;

	CHECK_EQ(parse_file(name, &info, &why, &buf, &len), 0);
	CHECK_EQ(info.type, ET_DYN);
	CHECK_EQ(info.interp != NULL, interp);
	if (interp && info.interp)
		CHECK_STR(info.interp, "/lib64/ld-linux-x86-64.so.2");
	check_common(&info);
	CHECK_EQ(run_probe(name, &phdr, &entry), 0);
	CHECK(info.phdr_vaddr != 0);
	CHECK_EQ(phdr - entry, info.phdr_vaddr - info.entry);
	free(buf);
}

TEST(elf_static_pie)
{
	check_pie("static-pie", false);
}

TEST(elf_dynamic)
{
	struct elf_info info;
	const char *why;
	uint8_t *buf;
	size_t len;
	unsigned long phdr = 0, entry = 0;

	check_pie("dynamic", true);
	CHECK_EQ(parse_file("dynamic-nopie", &info, &why, &buf, &len), 0);
	CHECK_EQ(info.type, ET_EXEC);
	CHECK(info.interp && !strcmp(info.interp, "/lib64/ld-linux-x86-64.so.2"));
	CHECK_EQ(run_probe("dynamic-nopie", &phdr, &entry), 0);
	CHECK_EQ(info.phdr_vaddr, phdr);
	free(buf);
}

TEST(elf_musl_static_and_bin_true)
{
	struct elf_info info;
	const char *why;
	uint8_t *buf;
	size_t len;
	unsigned long phdr = 0, entry = 0;

	CHECK_EQ(parse_file("musl-static", &info, &why, &buf, &len), 0);
	CHECK(info.interp == NULL);
	check_common(&info);
	CHECK_EQ(run_probe("musl-static", &phdr, &entry), 0);
	if (info.type == ET_EXEC)
		CHECK_EQ(info.phdr_vaddr, phdr);
	free(buf);
	CHECK_EQ(parse_file("/bin/true", &info, &why, &buf, &len), 0);
	CHECK(info.interp != NULL);
	check_common(&info);
	free(buf);
}

TEST(elf_exec_stack_and_object_file)
{
	struct elf_info info;
	const char *why = NULL;
	uint8_t *buf;
	size_t len;

	CHECK_EQ(parse_file("execstack", &info, &why, &buf, &len), 0);
	CHECK(info.exec_stack);
	free(buf);
	CHECK_EQ(parse_file("probe.o", &info, &why, &buf, &len), -ENOEXEC);
	CHECK(why && !strcmp(why, "not an executable (ELF type 1, relocatable object)"));
	free(buf);
	CHECK_EQ(parse_file("probe.c", &info, &why, &buf, &len), -ENOEXEC);
	CHECK(why && !strcmp(why, "not an ELF file"));
	free(buf);
}

/* The static program, corrupted by @mutate; returns elf_parse's reason. */
static const char *corrupted(void (*mutate)(uint8_t *buf, size_t *len))
{
	struct elf_info info;
	const char *why = "(accepted)";
	uint8_t *buf;
	size_t len;

	if (parse_file("static", &info, &why, &buf, &len))
		return "(setup failed)";
	mutate(buf, &len);
	why = "(accepted)";
	if (elf_parse(buf, len, &info, &why) != -ENOEXEC)
		why = "(accepted)";
	free(buf);
	return why;
}

static struct elf64_ehdr *EH(uint8_t *b)
{
	return (struct elf64_ehdr *)b;
}

/* The first PT_LOAD (or PT_INTERP) header of the file. */
static struct elf64_phdr *PH(uint8_t *b, uint32_t type)
{
	struct elf64_phdr *ph = (struct elf64_phdr *)(b + EH(b)->e_phoff);

	for (int i = 0; i < EH(b)->e_phnum; i++)
		if (ph[i].p_type == type)
			return &ph[i];
	return ph;
}

static void m_short(uint8_t *b, size_t *len)
{
	(void)b;
	*len = 3;
}
static void m_header(uint8_t *b, size_t *len)
{
	(void)b;
	*len = 40;
}
static void m_class(uint8_t *b, size_t *len)
{
	(void)len;
	b[ELF_EI_CLASS] = 1;
}
static void m_endian(uint8_t *b, size_t *len)
{
	(void)len;
	b[ELF_EI_DATA] = 2;
}
static void m_machine(uint8_t *b, size_t *len)
{
	(void)len;
	EH(b)->e_machine = 183;
}
static void m_phoff(uint8_t *b, size_t *len)
{
	(void)len;
	EH(b)->e_phoff = UINT64_MAX - 8;
}
static void m_phnum(uint8_t *b, size_t *len)
{
	(void)len;
	EH(b)->e_phnum = 0xffff;
}
static void m_phtrunc(uint8_t *b, size_t *len)
{
	*len = EH(b)->e_phoff + 60;
}
static void m_phent(uint8_t *b, size_t *len)
{
	(void)len;
	EH(b)->e_phentsize = 32;
}
static void m_filesz(uint8_t *b, size_t *len)
{
	(void)len;
	PH(b, PT_LOAD)->p_filesz = PH(b, PT_LOAD)->p_memsz + 1;
}
static void m_offset(uint8_t *b, size_t *len)
{
	(void)len;
	PH(b, PT_LOAD)->p_offset = UINT64_MAX - 10;
}
static void m_vaddr(uint8_t *b, size_t *len)
{
	(void)len;
	PH(b, PT_LOAD)->p_memsz = UINT64_MAX - PH(b, PT_LOAD)->p_vaddr + 2;
	PH(b, PT_LOAD)->p_filesz = 0;
}
static void m_kernel(uint8_t *b, size_t *len)
{
	(void)len;
	PH(b, PT_LOAD)->p_vaddr = 0xffffffff80000000ull;
}
static void m_truncated(uint8_t *b, size_t *len)
{
	(void)b;
	*len = *len / 2;
}
/* The last PT_LOAD's file bytes end one byte past the end of the file. */
static void m_one_past(uint8_t *b, size_t *len)
{
	struct elf64_phdr *ph = (struct elf64_phdr *)(b + EH(b)->e_phoff), *last = NULL;

	for (int i = 0; i < EH(b)->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			last = &ph[i];
	*len = last->p_offset + last->p_filesz - 1;
}
static void m_misalign(uint8_t *b, size_t *len)
{
	(void)len;
	PH(b, PT_LOAD)->p_vaddr += 8;
}
static void m_overlap(uint8_t *b, size_t *len)
{
	struct elf64_phdr *ph = PH(b, PT_LOAD);

	(void)len;
	ph[1].p_vaddr = ph[0].p_vaddr; /* the second PT_LOAD follows the first */
	ph[1].p_offset = ph[0].p_offset;
}
static void m_noload(uint8_t *b, size_t *len)
{
	struct elf64_phdr *ph = (struct elf64_phdr *)(b + EH(b)->e_phoff);

	(void)len;
	for (int i = 0; i < EH(b)->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			ph[i].p_type = PT_NULL;
}
static void m_entry(uint8_t *b, size_t *len)
{
	(void)len;
	EH(b)->e_entry = 0x10;
}
static void m_type(uint8_t *b, size_t *len)
{
	(void)len;
	EH(b)->e_type = 4;
}

TEST(elf_corruptions)
{
	CHECK_STR(corrupted(m_short), "not an ELF file");
	CHECK_STR(corrupted(m_header), "truncated ELF header");
	CHECK_STR(corrupted(m_class), "not a 64-bit ELF file");
	CHECK_STR(corrupted(m_endian), "not a little-endian ELF file");
	CHECK_STR(corrupted(m_machine), "not an x86-64 program");
	CHECK_STR(corrupted(m_type), "not an executable (ELF type 4, core dump)");
	CHECK_STR(corrupted(m_phoff), "program headers outside the file");
	CHECK_STR(corrupted(m_phnum), "program headers outside the file");
	CHECK_STR(corrupted(m_phtrunc), "program headers outside the file");
	CHECK_STR(corrupted(m_phent), "bad program header size");
	CHECK_STR(corrupted(m_filesz), "segment file size exceeds its memory size");
	CHECK_STR(corrupted(m_offset), "segment outside the file");
	CHECK_STR(corrupted(m_truncated), "segment outside the file");
	CHECK_STR(corrupted(m_one_past), "segment outside the file");
	CHECK_STR(corrupted(m_vaddr), "segment sizes overflow");
	CHECK_STR(corrupted(m_kernel), "segment outside the user address space");
	CHECK_STR(corrupted(m_misalign), "segment misaligned");
	CHECK_STR(corrupted(m_overlap), "segments overlap");
	CHECK_STR(corrupted(m_noload), "no loadable segment");
	CHECK_STR(corrupted(m_entry), "entry point outside the program");
}

TEST(elf_bad_interp)
{
	struct elf_info info;
	const char *why = NULL;
	uint8_t *buf;
	size_t len;
	struct elf64_phdr *ph;

	CHECK_EQ(parse_file("dynamic", &info, &why, &buf, &len), 0);
	ph = PH(buf, PT_INTERP);
	buf[ph->p_offset + ph->p_filesz - 1] = 'x'; /* no terminating NUL */
	CHECK_EQ(elf_parse(buf, len, &info, &why), -ENOEXEC);
	CHECK_STR(why, "bad interpreter path");
	buf[ph->p_offset + ph->p_filesz - 1] = 0;
	buf[ph->p_offset + 3] = 0; /* a NUL inside */
	CHECK_EQ(elf_parse(buf, len, &info, &why), -ENOEXEC);
	buf[ph->p_offset + 3] = 'b';
	ph->p_offset = len - 4; /* runs off the file */
	CHECK_EQ(elf_parse(buf, len, &info, &why), -ENOEXEC);
	CHECK_STR(why, "bad interpreter path");
	CHECK_EQ(elf_parse(buf, len, &info, NULL), -ENOEXEC); /* why is optional */
	free(buf);
}

/* elf_parse_head: the headers and PT_INTERP from the file's head only
 * (exec of a program on a share); what lies past the head is refused, so
 * exec reads more, and PT_LOADs are checked against the whole file. */
TEST(elf_parse_head)
{
	struct elf_info whole, info;
	const char *why = NULL;
	uint8_t *buf;
	size_t len, head;
	struct elf64_phdr *ph;

	CHECK_EQ(parse_file("dynamic", &whole, &why, &buf, &len), 0);
	ph = PH(buf, PT_INTERP);
	head = ph->p_offset + ph->p_filesz; /* the headers come first in gcc's output */
	CHECK(head < len);
	CHECK_EQ(elf_parse_head(buf, head, len, &info, &why), 0);
	CHECK_EQ(info.entry, whole.entry);
	CHECK_EQ(info.lo, whole.lo);
	CHECK_EQ(info.hi, whole.hi);
	CHECK_STR(info.interp, whole.interp);
	CHECK_EQ(elf_parse_head(buf, head - 1, len, &info, &why), -ENOEXEC);
	CHECK_STR(why, "bad interpreter path");
	CHECK_EQ(elf_parse_head(buf, 64, len, &info, &why), -ENOEXEC);
	CHECK_STR(why, "program headers outside the file");
	CHECK_EQ(elf_parse_head(buf, head, head, &info, &why), -ENOEXEC);
	CHECK_STR(why, "segment outside the file");
	free(buf);
}

/* What elf_parse promises of an accepted file; touches every loaded byte. */
static bool elf_promises_hold(const struct elf_info *info, const uint8_t *b, size_t len)
{
	volatile uint8_t sink = 0;

	if ((const uint8_t *)info->phdr < b ||
	    (const uint8_t *)(info->phdr + info->phnum) > b + len || info->lo >= info->hi ||
	    info->hi > ELF_USER_TOP)
		return false;
	for (int i = 0; i < info->phnum; i++) {
		const struct elf64_phdr *ph = &info->phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset ||
		    ph->p_vaddr < info->lo || ph->p_vaddr + ph->p_memsz > info->hi)
			return false;
		for (uint64_t k = 0; k < ph->p_filesz; k += 512)
			sink ^= b[ph->p_offset + k];
		if (ph->p_filesz)
			sink ^= b[ph->p_offset + ph->p_filesz - 1];
	}
	(void)sink;
	return true;
}

/*
 * Random corruption of the headers, each copy ending right before an
 * inaccessible page: elf_parse must never read outside the buffer.  Every
 * accepted result must satisfy the parser's promises.
 */
TEST(elf_fuzz_headers)
{
	long page = sysconf(_SC_PAGESIZE);
	struct elf_info info;
	const char *why;
	uint8_t *orig, *map;
	size_t len, cut, maplen;
	int accepted = 0, broken = 0;

	CHECK_EQ(parse_file("static", &info, &why, &orig, &len), 0);
	maplen = (len + 2 * (size_t)page) & ~((size_t)page - 1);
	map = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(map + maplen - page, (size_t)page, PROT_NONE);
	srand(12345);
	for (int round = 0; round < 20000; round++) {
		/* Cut at a multiple of 8 so the headers stay aligned sometimes. */
		cut = round % 4 ? len : (size_t)(rand() % 1024) * 8;
		uint8_t *b = map + maplen - page - cut;

		memcpy(b, orig, cut);
		for (int k = 0; k < 1 + rand() % 4; k++) {
			size_t at = (size_t)rand() % (cut < 1024 ? (cut ? cut : 1) : 1024);

			if (at < cut)
				b[at] = (uint8_t)(rand() % 3 ? rand() : 0xff);
		}
		if (elf_parse(b, cut, &info, &why) == 0) {
			accepted++;
			broken += !elf_promises_hold(&info, b, cut);
		}
	}
	CHECK_EQ(broken, 0);
	CHECK(accepted > 0);
	munmap(map, maplen);
	free(orig);
}

int main(void)
{
	if (build_programs() != 0) {
		printf("FAIL elf_setup (needs gcc, glibc static libs and musl-gcc)\n");
		return 1;
	}
	RUN(elf_static_matches_kernel);
	RUN(elf_static_pie);
	RUN(elf_dynamic);
	RUN(elf_musl_static_and_bin_true);
	RUN(elf_exec_stack_and_object_file);
	RUN(elf_corruptions);
	RUN(elf_bad_interp);
	RUN(elf_parse_head);
	RUN(elf_fuzz_headers);
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			printf("  could not remove %s\n", tmpdir);
	}
	return unit_summary();
}
