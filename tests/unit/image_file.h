/*
 * Disk images made by tools at test time, for the unit tests of the seed
 * readers (test_lib_iso9660.c, test_lib_fat.c): a temporary folder, a shell
 * helper run in it, and images loaded so that they end right before an
 * inaccessible page, so any read past an image's end crashes the test.
 */
#ifndef MONOS_IMAGE_FILE_H
#define MONOS_IMAGE_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/monos-image-XXXXXX";

struct image {
	uint8_t *map, *data;
	size_t maplen, len;
	int fail_at;	/* a sector whose read fails, or -1 */
	unsigned reads; /* reads so far */
};

/* Run @cmd in the temporary folder, quietly; its status. */
static int sh(const char *cmd)
{
	char full[1024];

	snprintf(full, sizeof(full), "cd %s && ( %s ) >/dev/null 2>&1", tmpdir, cmd);
	return system(full);
}

/* Load file @name of the temporary folder, ending at an inaccessible page. */
static struct image load(const char *name)
{
	char path[256];
	struct image im = { .fail_at = -1 };
	FILE *f;
	long page = sysconf(_SC_PAGESIZE);

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "rb");
	if (!f)
		return im;
	fseek(f, 0, SEEK_END);
	im.len = (size_t)ftell(f);
	rewind(f);
	im.maplen = (im.len + 2 * (size_t)page - 1) / (size_t)page * (size_t)page;
	im.map = mmap(NULL, im.maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(im.map + im.maplen - page, (size_t)page, PROT_NONE);
	im.data = im.map + im.maplen - page - im.len;
	if (fread(im.data, 1, im.len, f) != im.len)
		im.len = 0;
	fclose(f);
	return im;
}

/* Remove the temporary folder; 0 if that worked. */
static int remove_tmpdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

#endif
