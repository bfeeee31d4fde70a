/*
 * Unit tests of the image packer (cli/image.c): pack a small tree and a
 * symlinked program into a temporary file, then read it back with the
 * kernel's own cpio reader and with GNU cpio, checking names, modes, data,
 * page alignment of file data and the per-run archive.
 */
#include "unit.h"

#include "../../cli/image.c"
#include "../../cli/image_names.c"
#include "../../cli/msg.c"
#include "../../cli/rundata.c"
#include "../../kernel/lib/cpio.c"

#include <sys/mman.h>
#include <sys/wait.h>

#define MAX_SEEN 64

static char root[256];	   /* the temporary test tree */
static char image[300];	   /* the packed image */
static uint64_t first_end; /* offset where the per-run archive starts */

struct seen {
	char name[256];
	uint32_t mode;
	size_t size;
	uint64_t off; /* data offset in the archive */
	char data[64];
};
static struct seen seen[MAX_SEEN];
static int nseen;

static void write_file(const char *rel, const char *data, size_t len)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	fwrite(data, 1, len, f);
	fclose(f);
}

static void make_tree(void)
{
	char p[512], big[5000];

	snprintf(root, sizeof(root), "/tmp/monos-imgtest.XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	snprintf(p, sizeof(p), "%s/dir", root);
	CHECK(mkdir(p, 0750) == 0);
	snprintf(p, sizeof(p), "%s/dir/sub", root);
	CHECK(mkdir(p, 0755) == 0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	write_file("dir/a.txt", "hello", 5);
	write_file("dir/sub/b.bin", big, sizeof(big));
	write_file("dir/empty", "", 0);
	write_file("prog", "0123456789", 10);
	snprintf(p, sizeof(p), "%s/dir/link", root);
	CHECK(symlink("a.txt", p) == 0);
	snprintf(p, sizeof(p), "%s/proglink", root);
	CHECK(symlink("prog", p) == 0);
}

static void pack(void)
{
	char *argv[] = { "proglink", "x y" }, *env[] = { "A=1" };
	struct rundata ri = { .argv = argv,
			      .argc = 2,
			      .env = env,
			      .nenv = 1,
			      .cwd = "/nonexistent-cwd/deeper",
			      .sec = 0x1122334455,
			      .nsec = 7,
			      .tty = { '0', '1', '0' },
			      .have_winsize = true,
			      .winsize = { 24, 80, 0, 0 } };
	struct image_writer w;
	char p[512], exe[512];
	int fd;

	snprintf(image, sizeof(image), "%s/image.cpio", root);
	fd = open(image, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	image_open(&w, fd);
	snprintf(exe, sizeof(exe), "%s/proglink", root);
	ri.exe = exe;
	CHECK_EQ(image_add_host_path(&w, exe), 0);
	snprintf(p, sizeof(p), "%s/dir", root);
	CHECK_EQ(image_add_path(&w, p, "/data/./x/.."), 0);
	/* Adding the same tree again must not duplicate anything. */
	CHECK_EQ(image_add_path(&w, p, "/data"), 0);
	CHECK_EQ(image_add_path(&w, "/nonexistent/file", NULL), -ENOENT);
	CHECK(strstr(w.err, "/nonexistent/file") != NULL);
	CHECK_EQ(image_finish_archive(&w), 0);
	first_end = w.off;
	CHECK_EQ(rundata_write(&w, &ri), 0);
	image_close(&w);
	close(fd);
}

static void read_back(void)
{
	struct cpio_iter it;
	struct cpio_entry e;
	struct stat st;
	int fd = open(image, O_RDONLY), rc;
	uint8_t *buf;

	CHECK(fd >= 0 && fstat(fd, &st) == 0);
	buf = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(buf != MAP_FAILED);
	cpio_iter_init(&it, buf, st.st_size);
	while ((rc = cpio_next(&it, &e)) == 1 && nseen < MAX_SEEN) {
		struct seen *s = &seen[nseen++];

		snprintf(s->name, sizeof(s->name), "%s", e.name);
		s->mode = e.mode;
		s->size = e.size;
		s->off = e.data - buf;
		memcpy(s->data, e.data, e.size < sizeof(s->data) ? e.size : sizeof(s->data));
	}
	CHECK_EQ(rc, 0);
	munmap(buf, st.st_size);
	close(fd);
}

static struct seen *find(const char *fmt, ...)
{
	char name[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	for (int i = 0; i < nseen; i++)
		if (strcmp(seen[i].name, name) == 0)
			return &seen[i];
	printf("  missing entry %s\n", name);
	return NULL;
}

TEST(image_program_and_symlink)
{
	struct seen *l = find("%s/proglink", root + 1), *p = find("%s/prog", root + 1);

	CHECK(l && S_ISLNK(l->mode) && l->size == 4 && memcmp(l->data, "prog", 4) == 0);
	CHECK(p && S_ISREG(p->mode) && p->size == 10 && memcmp(p->data, "0123456789", 10) == 0);
	CHECK(find("tmp") && S_ISDIR(find("tmp")->mode));
	CHECK(find("%s", root + 1) && S_ISDIR(find("%s", root + 1)->mode));
}

TEST(image_tree)
{
	struct seen *d = find("data"), *b = find("data/sub/b.bin"), *l = find("data/link");

	CHECK(d && S_ISDIR(d->mode) && (d->mode & 0777) == 0750);
	CHECK(b && b->size == 5000 && (uint8_t)b->data[3] == 21);
	CHECK(l && S_ISLNK(l->mode) && l->size == 5 && memcmp(l->data, "a.txt", 5) == 0);
	CHECK(find("data/empty") && find("data/empty")->size == 0);
	CHECK(find("data/a.txt") && memcmp(find("data/a.txt")->data, "hello", 5) == 0);
}

TEST(image_alignment_and_uniqueness)
{
	for (int i = 0; i < nseen; i++) {
		for (int j = 0; j < i; j++)
			CHECK(strcmp(seen[i].name, seen[j].name) != 0);
		if (S_ISREG(seen[i].mode) && seen[i].size && seen[i].off < first_end)
			CHECK_EQ(seen[i].off % MONOS_IMAGE_ALIGN, 0);
	}
}

TEST(image_run_archive)
{
	struct seen *a = find(".monos/argv"), *e = find(".monos/envp"), *t = find(".monos/time");
	struct seen *x = find(".monos/exe"), *c = find(".monos/cwd"), *w = find(".monos/winsize");
	char exe[512];

	snprintf(exe, sizeof(exe), "%s/proglink", root);
	CHECK(a && a->size == 13 && memcmp(a->data, "proglink\0x y", 13) == 0);
	CHECK(e && e->size == 4 && memcmp(e->data, "A=1", 4) == 0);
	CHECK(t && t->size == 16 && memcmp(t->data, "\x55\x44\x33\x22\x11\0\0\0\7\0", 10) == 0);
	CHECK(x && x->size == strlen(exe) && memcmp(x->data, exe, x->size) == 0);
	CHECK(c && c->size == 23 && memcmp(c->data, "/nonexistent-cwd/deeper", 23) == 0);
	CHECK(w && w->size == 8 && memcmp(w->data, "\x18\0\x50\0\0\0\0", 8) == 0);
	CHECK(find(".monos/tty") && memcmp(find(".monos/tty")->data, "010", 3) == 0);
	CHECK(find(".monos/seed") && find(".monos/seed")->size == 32);
	CHECK(find("nonexistent-cwd/deeper") && S_ISDIR(find("nonexistent-cwd/deeper")->mode));
	CHECK(find(".monos") && S_ISDIR(find(".monos")->mode));
}

/* GNU cpio lists the first archive exactly as our reader sees it. */
TEST(image_gnu_cpio_agrees)
{
	char cmd[600], line[512];
	int i = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "cpio --quiet -t < %s", image);
	f = popen(cmd, "r");
	CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		CHECK(i < nseen);
		if (i < nseen)
			CHECK_STR(line, seen[i].name);
		i++;
	}
	CHECK(f && pclose(f) == 0);
	/* Everything before .monos came from the first archive. */
	CHECK(i == 10 && i < nseen && strcmp(seen[i].name, ".monos") == 0);
}

/* Open a second archive in root for the tests below. */
static int open_other(struct image_writer *w, const char *name)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, name);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	image_open(w, fd);
	return fd;
}

/* The mode of entry `fmt...` in the archive of `fd` (0: missing). */
static uint32_t mode_in(int fd, const char *fmt, ...)
{
	char name[512];
	struct cpio_iter it;
	struct cpio_entry e;
	struct stat st;
	uint32_t mode = 0;
	uint8_t *buf;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	CHECK(fstat(fd, &st) == 0 && st.st_size > 0);
	buf = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(buf != MAP_FAILED);
	cpio_iter_init(&it, buf, st.st_size);
	while (cpio_next(&it, &e) == 1)
		if (!strcmp(e.name, name))
			mode = e.mode;
	munmap(buf, st.st_size);
	return mode;
}

/*
 * A merged-/usr host (bin -> usr/bin, usr/bin/sh -> dash): a path through
 * the symlinked directory packs as the links plus the file at its real path,
 * never as a directory "bin" (which once hid the links: `--file /bin/sh`
 * failed with ELOOP, `--file /bin/dash` made the kernel fail to build its
 * tree), and a GUEST path through a symlink of the image lands behind it.
 */
TEST(image_merged_usr)
{
	char p[512], q[512];
	struct image_writer w;
	int fd = open_other(&w, "merged.cpio");

	snprintf(p, sizeof(p), "%s/usr/bin", root);
	snprintf(q, sizeof(q), "%s/usr", root);
	CHECK(mkdir(q, 0755) == 0 && mkdir(p, 0755) == 0);
	write_file("usr/bin/dash", "#dash", 5);
	snprintf(p, sizeof(p), "%s/usr/bin/sh", root);
	CHECK(symlink("dash", p) == 0);
	snprintf(p, sizeof(p), "%s/bin", root);
	CHECK(symlink("usr/bin", p) == 0);
	snprintf(p, sizeof(p), "%s/bin/sh", root);
	CHECK_EQ(image_add_path(&w, p, NULL), 0);
	snprintf(p, sizeof(p), "%s/bin/dash", root);
	CHECK_EQ(image_add_path(&w, p, NULL), 0);
	snprintf(p, sizeof(p), "%s/prog", root);
	snprintf(q, sizeof(q), "%s/bin/extra", root);
	CHECK_EQ(image_add_path(&w, p, q), 0);
	CHECK_EQ(image_finish_archive(&w), 0);
	CHECK(S_ISLNK(mode_in(fd, "%s/bin", root + 1)));
	CHECK(S_ISLNK(mode_in(fd, "%s/usr/bin/sh", root + 1)));
	CHECK(S_ISREG(mode_in(fd, "%s/usr/bin/dash", root + 1)));
	CHECK(S_ISREG(mode_in(fd, "%s/usr/bin/extra", root + 1)));
	CHECK_EQ(mode_in(fd, "%s/bin/sh", root + 1), 0);
	CHECK_EQ(mode_in(fd, "%s/bin/extra", root + 1), 0);
	image_close(&w);
	close(fd);
}

/* A file never replaces a directory (of the image, or one the guest
 * needs), nor a directory a file, nor does anything go below a file:
 * `--file /etc/shadow:/` once replaced the root with a file. */
TEST(image_file_over_directory)
{
	char file[512], dir[512];
	struct image_writer w;
	int fd = open_other(&w, "refuse.cpio");

	snprintf(file, sizeof(file), "%s/prog", root);
	snprintf(dir, sizeof(dir), "%s/dir", root);
	CHECK_EQ(image_add_path(&w, file, "/"), -EISDIR);
	CHECK(strstr(w.err, "cannot replace /,") != NULL);
	CHECK_EQ(image_add_path(&w, file, "/tmp"), -EISDIR);
	CHECK_EQ(image_add_path(&w, file, "/proc/"), -EISDIR);
	CHECK_EQ(image_add_path(&w, file, "/etc"), -EISDIR);
	CHECK_EQ(image_add_path(&w, dir, "/srv/data"), 0);
	CHECK_EQ(image_add_path(&w, file, "/srv/data"), -EISDIR);
	CHECK_EQ(image_add_path(&w, file, "/srv/data/sub"), -EISDIR);
	CHECK(strstr(w.err, "directory /srv/data/sub") != NULL);
	CHECK_EQ(image_add_path(&w, file, "/srv/f"), 0);
	CHECK_EQ(image_add_path(&w, file, "/srv/f"), 0); /* the first one wins */
	CHECK_EQ(image_add_path(&w, dir, "/srv/f"), -ENOTDIR);
	CHECK_EQ(image_add_path(&w, file, "/srv/f/below"), -ENOTDIR);
	CHECK_EQ(image_add_path(&w, dir, "/"), 0); /* a tree may add to the root */
	image_close(&w);
	close(fd);
}

TEST(image_normalize)
{
	char *n;

	CHECK_STR((n = image_normalize("/a/./b//c/../d/")), "/a/b/d");
	free(n);
	CHECK_STR((n = image_normalize("/../..")), "/");
	free(n);
	CHECK_STR((n = image_normalize("//x")), "/x");
	free(n);
}

/* The PATH entry of the gathered environment. */
static const char *env_path(const struct rundata *ri)
{
	for (size_t i = 0; i < ri->nenv; i++)
		if (!strncmp(ri->env[i], "PATH=", 5))
			return ri->env[i];
	return "(none)";
}

/* rundata_path_add: where `#!/usr/bin/env CMD` found CMD joins docker's
 * default PATH; a directory already listed, or a PATH the user gave, stays. */
TEST(rundata_path_add_env_dir)
{
	char *user[] = { "A=1" }, *own[] = { "PATH=/opt/x/bin:/bin" };
	struct run_options o = { .env = user, .nenv = 1 };
	struct rundata ri;

	rundata_gather(&ri, &o, "/bin/true", "/");
	CHECK(rundata_path_add(&ri, "/usr/bin"));
	CHECK(rundata_path_add(&ri, "/opt/py/bin"));
	CHECK_STR(env_path(&ri),
		  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/py/bin");
	CHECK(rundata_path_add(&ri, "/usr/bi")); /* a prefix is not a listing */
	CHECK_STR(env_path(&ri), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:"
				 "/bin:/opt/py/bin:/usr/bi");
	o.env = own;
	rundata_gather(&ri, &o, "/bin/true", "/");
	CHECK(rundata_path_add(&ri, "/opt/x/bin"));
	CHECK(rundata_path_add(&ri, "/bin"));
	CHECK(!rundata_path_add(&ri, "/opt/py/bin"));
	CHECK_STR(env_path(&ri), "PATH=/opt/x/bin:/bin");
}

int main(void)
{
	char cmd[300];

	make_tree();
	pack();
	read_back();
	RUN(image_program_and_symlink);
	RUN(image_tree);
	RUN(image_alignment_and_uniqueness);
	RUN(image_run_archive);
	RUN(image_gnu_cpio_agrees);
	RUN(image_normalize);
	RUN(image_merged_usr);
	RUN(image_file_over_directory);
	RUN(rundata_path_add_env_dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	CHECK(system(cmd) == 0);
	return unit_summary();
}
