/*
 * A directory of many entries (issue 9: directories of 100,000 entries),
 * the guest side of tests/cli/volume_dir.sh and of the bench in
 * docs/benchmarks.md section 14:
 *
 *   ext4dir DIR N   in DIR/many: create N empty files, list them (each
 *                   name once), stat each by name, look up N names that
 *                   do not exist, unlink each, rmdir; print the counts.
 *
 * Prints only counts, so the native run on a host directory is the
 * oracle.  Any other argument is refused.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "guest.h"


static char path[4096];

static const char *entry(const char *dir, const char *prefix, unsigned i)
{
	snprintf(path, sizeof(path), "%s/many/%s%07u", dir, prefix, i);
	return path;
}

int main(int argc, char **argv)
{
	unsigned n, made = 0, listed = 0, statted = 0, missing = 0, gone = 0, i;
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd;

	if (argc != 3 || !(n = (unsigned)strtoul(argv[2], NULL, 10))) {
		fprintf(stderr, "usage: ext4dir DIR N\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/many", argv[1]);
	guest_check("mkdir many", mkdir(path, 0755) == 0);
	for (i = 0; i < n; i++)
		if ((fd = open(entry(argv[1], "file-", i), O_WRONLY | O_CREAT | O_EXCL, 0644)) >= 0)
			made += close(fd) == 0;
	printf("created %u\n", made);
	snprintf(path, sizeof(path), "%s/many", argv[1]);
	if ((d = opendir(path))) {
		while ((e = readdir(d)))
			listed += !strncmp(e->d_name, "file-", 5);
		closedir(d);
	}
	printf("listed %u\n", listed);
	for (i = 0; i < n; i++)
		statted += stat(entry(argv[1], "file-", i), &st) == 0 && S_ISREG(st.st_mode);
	printf("stat %u\n", statted);
	for (i = 0; i < n; i++)
		missing += stat(entry(argv[1], "none-", i), &st) < 0 && errno == ENOENT;
	printf("missing %u\n", missing);
	for (i = 0; i < n; i++)
		gone += unlink(entry(argv[1], "file-", i)) == 0;
	printf("unlinked %u\n", gone);
	snprintf(path, sizeof(path), "%s/many", argv[1]);
	guest_check("rmdir many", rmdir(path) == 0);
	return guest_finish();
}
