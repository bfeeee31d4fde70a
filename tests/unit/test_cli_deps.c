/*
 * Unit tests of dependency resolution and packing (cli/deps.c): real host
 * programs (glibc's /bin/true, a musl program linked dynamically here), and
 * crafted ELF files whose dynamic sections exercise each search rule and
 * each kind of damage.  Packed images are read back with the kernel's cpio
 * reader.
 */
#include "unit.h"

#include "../../cli/deps.c"
#include "../../cli/deps_elf.c"
#include "../../cli/image.c"
#include "../../cli/image_names.c"
#include "../../cli/msg.c"
#include "../../kernel/lib/cpio.c"
#include "../../kernel/lib/elf.c"

#define GLIBC_INTERP "/lib64/ld-linux-x86-64.so.2"
#define MUSL_INTERP  "/lib/ld-musl-x86_64.so.1"

/* Layout of a crafted ELF: one PT_LOAD over the whole file at vaddr 0. */
#define CRAFT_PHDRS  0x40
#define CRAFT_INTERP 0x200
#define CRAFT_STRTAB 0x300
#define CRAFT_DYN    0x600
#define CRAFT_SIZE   0x800

static char root[64]; /* the temporary test tree */

/* What a crafted object says; NULL fields are left out. */
struct craft {
	const char *interp;
	const char *needed[4];
	const char *rpath, *runpath, *soname;
	bool elf32;	     /* a 32-bit object (ld.so skips it) */
	bool bad_needed;     /* a DT_NEEDED offset beyond DT_STRSZ */
	bool strtab_outside; /* DT_STRTAB not inside any PT_LOAD */
};

static uint64_t add_str(uint8_t *buf, size_t *used, const char *s)
{
	uint64_t off = *used;

	memcpy(buf + CRAFT_STRTAB + *used, s, strlen(s) + 1);
	*used += strlen(s) + 1;
	return off;
}

static void add_dyn(uint8_t *buf, int *n, int64_t tag, uint64_t val)
{
	struct deps_dyn d = { tag, val };

	memcpy(buf + CRAFT_DYN + sizeof(d) * (*n)++, &d, sizeof(d));
}

/* The dynamic section and string table of `c`. */
static void craft_dynamic(uint8_t *buf, const struct craft *c)
{
	size_t used = 1; /* offset 0 is the empty string */
	int n = 0;

	for (int i = 0; i < 4 && c->needed[i]; i++)
		add_dyn(buf, &n, DT_NEEDED, add_str(buf, &used, c->needed[i]));
	if (c->rpath)
		add_dyn(buf, &n, DT_RPATH, add_str(buf, &used, c->rpath));
	if (c->runpath)
		add_dyn(buf, &n, DT_RUNPATH, add_str(buf, &used, c->runpath));
	if (c->soname)
		add_dyn(buf, &n, DT_SONAME, add_str(buf, &used, c->soname));
	if (c->bad_needed)
		add_dyn(buf, &n, DT_NEEDED, used + 100);
	add_dyn(buf, &n, DT_STRTAB, c->strtab_outside ? 0x100000 : CRAFT_STRTAB);
	add_dyn(buf, &n, DT_STRSZ, used);
	add_dyn(buf, &n, DT_NULL, 0);
}

/* Write the crafted object `c` to root/rel (mode 0755); returns its path. */
static const char *craft(const char *rel, const struct craft *c)
{
	static char path[256];
	uint8_t buf[CRAFT_SIZE] = { 0 };
	struct elf64_ehdr eh = { .e_type = ET_DYN, .e_machine = EM_X86_64, .e_version = 1 };
	struct elf64_phdr ph[3] = {
		{ .p_type = PT_LOAD,
		  .p_flags = PF_R,
		  .p_filesz = CRAFT_SIZE,
		  .p_memsz = CRAFT_SIZE },
		{ .p_type = PT_DYNAMIC,
		  .p_offset = CRAFT_DYN,
		  .p_vaddr = CRAFT_DYN,
		  .p_filesz = CRAFT_SIZE - CRAFT_DYN,
		  .p_memsz = CRAFT_SIZE - CRAFT_DYN },
		{ .p_type = PT_INTERP, .p_offset = CRAFT_INTERP, .p_vaddr = CRAFT_INTERP },
	};
	FILE *f;

	memcpy(eh.e_ident, ELF_MAG, ELF_MAG_LEN);
	eh.e_ident[ELF_EI_CLASS] = c->elf32 ? ELFCLASS32 : ELF_CLASS64;
	eh.e_ident[ELF_EI_DATA] = ELF_DATA2LSB;
	eh.e_ident[ELF_EI_VERSION] = ELF_EV_CURRENT;
	eh.e_phoff = CRAFT_PHDRS;
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(struct elf64_phdr);
	eh.e_phnum = c->interp ? 3 : 2;
	if (c->interp) {
		strcpy((char *)buf + CRAFT_INTERP, c->interp);
		ph[2].p_filesz = ph[2].p_memsz = strlen(c->interp) + 1;
	}
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + CRAFT_PHDRS, ph, sizeof(ph));
	craft_dynamic(buf, c);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fwrite(buf, 1, sizeof(buf), f);
		fclose(f);
	}
	chmod(path, 0755);
	return path;
}

static void mkdirs(const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	mkdir(p, 0755);
}

/* The index of the object named `name` in `l`, or -1. */
static long lookup(const struct deps_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->objs[i].name, name))
			return i;
	return -1;
}

/* Whether the object named `name` was found at root/rel. */
static bool found_at(const struct deps_list *l, const char *name, const char *rel)
{
	char want[256];
	long i = lookup(l, name);

	snprintf(want, sizeof(want), "%s/%s", root, rel);
	if (i < 0 || strcmp(l->objs[i].path, want)) {
		printf("  %s found at %s, expected %s\n", name, i < 0 ? "-" : l->objs[i].path,
		       want);
		return false;
	}
	return true;
}

TEST(deps_glibc_true)
{
	struct deps_list l;
	long c;

	CHECK_EQ(deps_resolve("/bin/true", "true", &l), 0);
	CHECK(!l.musl);
	CHECK(l.n >= 3);
	CHECK(l.n >= 2 && !strcmp(l.objs[1].path, GLIBC_INTERP));
	c = lookup(&l, "libc.so.6");
	CHECK(c > 1);
	if (c > 1) {
		const char *p = l.objs[c].path;

		CHECK(strlen(p) > 10 && !strcmp(p + strlen(p) - 10, "/libc.so.6"));
		CHECK(access(p, R_OK) == 0);
		CHECK_EQ(l.objs[c].loader, 0);
	}
	/* libc.so.6 needs ld-linux-x86-64.so.2: the interpreter, by DT_SONAME. */
	CHECK_EQ(lookup(&l, "ld-linux-x86-64.so.2"), -1);
	deps_free(&l);
}

TEST(deps_static_program_has_none)
{
	struct deps_list l;
	const char *p = craft("static", &(struct craft){ 0 });

	CHECK_EQ(deps_resolve(p, "static", &l), 0);
	CHECK_EQ(l.n, 0);
	deps_free(&l);
}

/* Link a musl program dynamically, if this host's musl-gcc can. */
TEST(deps_musl_dynamic)
{
	char src[128], exe[128], cmd[512];
	struct deps_list l;
	FILE *f;

	snprintf(src, sizeof(src), "%s/m.c", root);
	snprintf(exe, sizeof(exe), "%s/m", root);
	f = fopen(src, "w");
	fputs("#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "musl-gcc -o %s %s -lm 2>/dev/null", exe, src);
	if (system(cmd) != 0 || access(MUSL_INTERP, R_OK) != 0) {
		printf("  SKIP musl: musl-gcc cannot link dynamically here\n");
		return;
	}
	CHECK_EQ(deps_resolve(exe, "m", &l), 0);
	CHECK(l.musl);
	CHECK(l.n >= 2 && !strcmp(l.objs[1].path, MUSL_INTERP));
	/* libc.so is the interpreter itself: nothing else to pack. */
	CHECK_EQ(l.n, 2);
	deps_free(&l);
}

TEST(deps_missing_library)
{
	struct deps_list l;
	const char *p;

	mkdirs("empty");
	p = craft("missing", &(struct craft){ .interp = GLIBC_INTERP,
					      .needed = { "libmonos-missing.so.1" },
					      .runpath = "$ORIGIN/empty" });
	CHECK_EQ(deps_resolve(p, "./missing", &l), CLI_EXIT_CANNOT_RUN);
	CHECK(strstr(l.err, "./missing needs libmonos-missing.so.1, which was not found "
			    "(searched: ") == l.err);
	CHECK(strstr(l.err, "/empty:") != NULL);
	CHECK(strstr(l.err, "/usr/lib/x86_64-linux-gnu") != NULL);
	deps_free(&l);
}

/* The first `len` bytes of the host's libc, as a library found by RUNPATH. */
static void truncated(size_t len)
{
	char src[256] = "", dst[256], buf[8192];
	struct deps_list l;
	const char *p;
	FILE *in, *out;
	size_t n;

	CHECK_EQ(deps_resolve("/bin/true", "true", &l), 0);
	if (lookup(&l, "libc.so.6") > 0)
		snprintf(src, sizeof(src), "%s", l.objs[lookup(&l, "libc.so.6")].path);
	deps_free(&l);
	mkdirs("trunc");
	snprintf(dst, sizeof(dst), "%s/trunc/libtrunc.so.1", root);
	in = fopen(src, "r");
	out = fopen(dst, "w");
	CHECK(in && out);
	if (!in || !out)
		return;
	n = fread(buf, 1, len < sizeof(buf) ? len : sizeof(buf), in);
	fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
	p = craft("trunc-user", &(struct craft){ .interp = GLIBC_INTERP,
						 .needed = { "libtrunc.so.1" },
						 .runpath = "$ORIGIN/trunc" });
	CHECK_EQ(deps_resolve(p, "trunc-user", &l), CLI_EXIT_CANNOT_RUN);
	CHECK(strstr(l.err, dst) == l.err);
	CHECK(strstr(l.err, "malformed ELF file") != NULL);
	deps_free(&l);
}

TEST(deps_truncated_library)
{
	truncated(8192); /* headers whole, segments cut off */
	truncated(40);	 /* the ELF header itself cut off */
}

TEST(deps_damaged_dynamic_section)
{
	struct deps_list l;
	const char *p;

	mkdirs("bad");
	craft("bad/libbad.so", &(struct craft){ .needed = { "libc.so.6" }, .bad_needed = true });
	p = craft("bad-user", &(struct craft){ .interp = GLIBC_INTERP,
					       .needed = { "libbad.so" },
					       .runpath = "$ORIGIN/bad" });
	CHECK_EQ(deps_resolve(p, "bad-user", &l), CLI_EXIT_CANNOT_RUN);
	CHECK(strstr(l.err, "libbad.so: malformed ELF file (bad string") != NULL);
	deps_free(&l);
	craft("bad/libbad.so",
	      &(struct craft){ .needed = { "libc.so.6" }, .strtab_outside = true });
	CHECK_EQ(deps_resolve(p, "bad-user", &l), CLI_EXIT_CANNOT_RUN);
	CHECK(strstr(l.err, "string table outside the file") != NULL);
	deps_free(&l);
}

/*
 * The search rules: DT_RUNPATH hides DT_RPATH; a program's DT_RPATH serves
 * its libraries' needs too, its DT_RUNPATH does not; $ORIGIN; a 32-bit
 * library earlier on the path is skipped.
 */
TEST(deps_search_rules)
{
	struct deps_list l;
	const char *p;

	mkdirs("r1");
	mkdirs("r2");
	mkdirs("r3");
	craft("r1/liba.so", &(struct craft){ .needed = { "libb.so" } });
	craft("r2/liba.so", &(struct craft){ .needed = { "libb.so" } });
	craft("r3/libb.so", &(struct craft){ .soname = "libb.so" });
	craft("r1/libb.so", &(struct craft){ .elf32 = true });
	p = craft("both", &(struct craft){ .interp = GLIBC_INTERP,
					   .needed = { "liba.so" },
					   .rpath = "$ORIGIN/r1:$ORIGIN/r3",
					   .runpath = "${ORIGIN}/r2:$ORIGIN/r3" });
	CHECK_EQ(deps_resolve(p, "both", &l), CLI_EXIT_CANNOT_RUN);
	CHECK(found_at(&l, "liba.so", "r2/liba.so"));
	/* liba has no paths of its own and the program's RUNPATH is not
	 * inherited (nor its RPATH, hidden by the RUNPATH): libb is missing. */
	CHECK(strstr(l.err, "both needs libb.so (for ") == l.err);
	CHECK(strstr(l.err, "/r2/liba.so)") != NULL);
	deps_free(&l);

	/* RPATH: inherited by liba, and r1's 32-bit libb.so is passed over. */
	p = craft("rpath", &(struct craft){ .interp = GLIBC_INTERP,
					    .needed = { "liba.so" },
					    .rpath = "$ORIGIN/r1:$ORIGIN/r3" });
	CHECK_EQ(deps_resolve(p, "rpath", &l), 0);
	CHECK(found_at(&l, "liba.so", "r1/liba.so"));
	CHECK(found_at(&l, "libb.so", "r3/libb.so"));
	CHECK(lookup(&l, "libb.so") > 0 && !strcmp(l.objs[lookup(&l, "libb.so")].how, "DT_RPATH"));
	deps_free(&l);

	/* A requester with a RUNPATH hides every RPATH, its needers' too. */
	mkdirs("r4");
	craft("r4/liba.so", &(struct craft){ .needed = { "libb.so" }, .runpath = "/nonexistent" });
	p = craft("hidden", &(struct craft){ .interp = GLIBC_INTERP,
					     .needed = { "liba.so" },
					     .rpath = "$ORIGIN/r4:$ORIGIN/r3" });
	CHECK_EQ(deps_resolve(p, "hidden", &l), CLI_EXIT_CANNOT_RUN);
	CHECK(found_at(&l, "liba.so", "r4/liba.so"));
	CHECK(strstr(l.err, "hidden needs libb.so (for ") == l.err);
	deps_free(&l);

	/* RUNPATH only: liba's own search does not see it, so libb is missing. */
	p = craft("runpath", &(struct craft){ .interp = GLIBC_INTERP,
					      .needed = { "liba.so" },
					      .runpath = "$ORIGIN/r1:$ORIGIN/r3" });
	CHECK_EQ(deps_resolve(p, "runpath", &l), CLI_EXIT_CANNOT_RUN);
	CHECK(strstr(l.err, "needs libb.so (for ") != NULL);
	deps_free(&l);
}

/* musl: RPATH is searched, and musl's reserved names are its interpreter. */
TEST(deps_musl_rules)
{
	struct deps_list l;
	const char *p;

	if (access(MUSL_INTERP, R_OK) != 0) {
		printf("  SKIP musl rules: no %s\n", MUSL_INTERP);
		return;
	}
	mkdirs("m1");
	craft("m1/libq.so", &(struct craft){ .needed = { "libc.so", "libpthread.so.0" } });
	p = craft("musl-user", &(struct craft){ .interp = MUSL_INTERP,
						.needed = { "libq.so", "libm.so" },
						.rpath = "$ORIGIN/m1" });
	CHECK_EQ(deps_resolve(p, "musl-user", &l), 0);
	CHECK(l.musl);
	CHECK_EQ(l.n, 3);
	CHECK(found_at(&l, "libq.so", "m1/libq.so"));
	deps_free(&l);
}

struct entry {
	char name[256];
	uint32_t mode;
};

/* Pack `paths` with image_add_host_path into root/img and list the entries. */
static int pack_and_list(const char *const *paths, struct entry *ents, int max)
{
	struct image_writer w;
	struct cpio_iter it;
	struct cpio_entry e;
	struct stat st;
	char img[128];
	int fd, n = 0;
	uint8_t *buf;

	snprintf(img, sizeof(img), "%s/img", root);
	fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0600);
	image_open(&w, fd);
	for (int i = 0; paths[i]; i++)
		CHECK_EQ(image_add_host_path(&w, paths[i]), 0);
	CHECK_EQ(image_finish_archive(&w), 0);
	image_close(&w);
	fstat(fd, &st);
	buf = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	cpio_iter_init(&it, buf, st.st_size);
	while (n < max && cpio_next(&it, &e) == 1) {
		snprintf(ents[n].name, sizeof(ents[n].name), "/%s", e.name);
		ents[n].mode = e.mode;
		n++;
	}
	munmap(buf, st.st_size);
	close(fd);
	return n;
}

/* Whether the entry `name` is there with type `type` (S_IFDIR...). */
static bool has(const struct entry *ents, int n, uint32_t type, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(ents[i].name, name))
			return (ents[i].mode & S_IFMT) == type;
	printf("  missing entry %s\n", name);
	return false;
}

/* A path through a directory symlink and a file symlink, with . and .. */
TEST(deps_pack_symlinked_dirs)
{
	char link[128], real[128], so[128], name[128];
	const char *paths[] = { so, NULL };
	struct entry ents[32];
	int n;

	mkdirs("real");
	mkdirs("real/sub");
	craft("real/sub/libz.so.1.2", &(struct craft){ 0 });
	snprintf(link, sizeof(link), "%s/lnk", root);
	snprintf(real, sizeof(real), "%s/real/sub/libz.so.1", root);
	CHECK_EQ(symlink("real", link), 0);
	CHECK_EQ(symlink("libz.so.1.2", real), 0);
	snprintf(so, sizeof(so), "%s/lnk/./sub/../sub/libz.so.1", root);
	n = pack_and_list(paths, ents, 32);
	CHECK(has(ents, n, S_IFLNK, link));
	CHECK(has(ents, n, S_IFDIR, root));
	snprintf(name, sizeof(name), "%s/real/sub", root);
	CHECK(has(ents, n, S_IFDIR, name));
	CHECK(has(ents, n, S_IFLNK, real));
	snprintf(name, sizeof(name), "%s/real/sub/libz.so.1.2", root);
	CHECK(has(ents, n, S_IFREG, name));
	/* Nothing may be written beneath the symlink's own path. */
	for (int i = 0; i < n; i++)
		CHECK(strncmp(ents[i].name, link, strlen(link)) || !ents[i].name[strlen(link)]);
}

/* On a merged-/usr host, the interpreter path packs the /lib64 link. */
TEST(deps_pack_host_interp)
{
	const char *paths[] = { GLIBC_INTERP, NULL };
	char *real = realpath(GLIBC_INTERP, NULL);
	struct entry ents[32];
	struct stat st;
	int n;

	if (!real || lstat("/lib64", &st) < 0 || !S_ISLNK(st.st_mode)) {
		printf("  SKIP: /lib64 is not a symlink on this host\n");
		free(real);
		return;
	}
	n = pack_and_list(paths, ents, 32);
	CHECK(has(ents, n, S_IFLNK, "/lib64"));
	CHECK(has(ents, n, S_IFREG, real));
	/* Every other entry is a directory or a link on the way, and nothing
	 * is written beneath a directory symlink. */
	for (int i = 0; i < n; i++) {
		CHECK(strncmp(ents[i].name, "/lib64/", 7) && strncmp(ents[i].name, "/lib/", 5));
		CHECK(S_ISDIR(ents[i].mode) || S_ISLNK(ents[i].mode) ||
		      !strcmp(ents[i].name, real));
	}
	free(real);
}

int main(void)
{
	char cmd[128];

	snprintf(root, sizeof(root), "/tmp/monos-depstest.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	RUN(deps_glibc_true);
	RUN(deps_static_program_has_none);
	RUN(deps_musl_dynamic);
	RUN(deps_missing_library);
	RUN(deps_truncated_library);
	RUN(deps_damaged_dynamic_section);
	RUN(deps_search_rules);
	RUN(deps_musl_rules);
	RUN(deps_pack_symlinked_dirs);
	RUN(deps_pack_host_interp);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		printf("  could not remove %s\n", root);
	return unit_summary();
}
