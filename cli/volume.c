/*
 * `monos volume`: named ext4 volumes (issue 9).  A volume is a raw disk
 * file, made by Debian's mkfs.ext4, in the user's data directory:
 * $XDG_DATA_HOME/monos/volumes/NAME.img (default ~/.local/share).  `monos
 * run --volume NAME:/data` attaches it as a virtio-blk disk that the kernel
 * mounts at /data (disk.c, options.c).
 *
 * In use: a run holds an flock on the file for its whole life (exclusive
 * for a read-write attach, shared for a read-only one; disk.c), so a
 * second read-write attach, and rm, are refused while one runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lib/cmdline.h>

#include "cli.h"

#define VOLUME_NAME_MAX	  64
#define VOLUME_SUFFIX	  ".img"
#define VOLUME_MIN_SIZE	  (1ull << 20)	/* mkfs.ext4's floor for a usable volume */
#define VOLUME_MAX_SIZE	  (16ull << 40) /* 16 TiB: ext4 with 4 KiB blocks, 32-bit block numbers */
#define VOLUME_DIR_MODE	  0700
#define VOLUME_NAME_START "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

const char volume_help[] =
	"Usage: monos volume COMMAND\n"
	"\n"
	"Named ext4 volumes: state that outlives an instance.  Each is a raw disk\n"
	"file made by mkfs.ext4 in $XDG_DATA_HOME/monos/volumes (default\n"
	"~/.local/share/monos/volumes); attach one with\n"
	"'monos run --volume NAME:/data[:ro] PROGRAM'.\n"
	"\n"
	"Commands:\n"
	"  create NAME --size SIZE   make volume NAME (SIZE: bytes or K, M, G, T;\n"
	"                            at least 1M)\n"
	"  ls                        list the volumes: name and size\n"
	"  inspect NAME              describe NAME as JSON\n"
	"  rm NAME                   delete NAME (refused while an instance uses it)\n"
	"\n"
	"NAME: 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or\n"
	"digit.\n";

bool volume_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > VOLUME_NAME_MAX || !strchr(VOLUME_NAME_START, name[0]))
		return false;
	return strspn(name, VOLUME_NAME_START "_.-") == n;
}

/* The volumes' directory into `out`: 0, or -1 with no home to put it in. */
static int volume_dir(char *out, size_t n)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	int r;

	if (xdg && xdg[0] == '/')
		r = snprintf(out, n, "%s/monos/volumes", xdg);
	else if (home && home[0] == '/')
		r = snprintf(out, n, "%s/.local/share/monos/volumes", home);
	else
		return -1;
	return r < 0 || (size_t)r >= n ? -1 : 0;
}

int volume_path(const char *name, char *out, size_t n, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int r;

	if (!volume_name_ok(name)) {
		snprintf(err, errlen,
			 "bad volume name '%s': use 1 to %d letters, digits, '_', '.' or "
			 "'-', starting with a letter or digit",
			 name, VOLUME_NAME_MAX);
		return -1;
	}
	if (volume_dir(dir, sizeof(dir))) {
		snprintf(err, errlen, "no data directory: set HOME or XDG_DATA_HOME");
		return -1;
	}
	r = snprintf(out, n, "%s/%s" VOLUME_SUFFIX, dir, name);
	if (r < 0 || (size_t)r >= n) {
		snprintf(err, errlen, "volume path too long");
		return -1;
	}
	return 0;
}

/* mkdir -p of the volumes' directory (private to the user). */
static int make_dir(char *dir)
{
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(dir, VOLUME_DIR_MODE) && errno != EEXIST ? -1 : 0;
}

/* Run mkfs.ext4 -q on `path`: 0, or -1 (it printed why, or could not run). */
static int run_mkfs(const char *path)
{
	static const char *const tries[] = { "mkfs.ext4", "/sbin/mkfs.ext4",
					     "/usr/sbin/mkfs.ext4" };
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDOUT_FILENO); /* mke2fs's version line */
		for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++)
			execlp(tries[i], tries[i], "-q", "-F", path, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		msg_error("mkfs.ext4 not found (install e2fsprogs)");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* The file of `name` made at `size` bytes and formatted; nothing is left
 * behind on failure. */
static int create_file(const char *name, const char *path, uint64_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0) {
		msg_error(errno == EEXIST ? "volume %s already exists" : "volume %s: %s", name,
			  strerror(errno));
		return CLI_EXIT_ERROR;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		msg_error("volume %s: %s", name, strerror(errno));
		goto out_unlink;
	}
	close(fd);
	fd = -1;
	if (run_mkfs(path) < 0) {
		msg_error("volume %s: mkfs.ext4 failed", name);
		goto out_unlink;
	}
	return 0;
out_unlink:
	if (fd >= 0)
		close(fd);
	unlink(path);
	return CLI_EXIT_ERROR;
}

static int cmd_create(int argc, char **argv)
{
	char path[PATH_MAX], dir[PATH_MAX], err[512];
	const char *name = NULL, *size_s = NULL;
	uint64_t size;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size_s = argv[++i];
		else if (!strncmp(argv[i], "--size=", 7))
			size_s = argv[i] + 7;
		else if (argv[i][0] != '-' && !name)
			name = argv[i];
		else
			name = size_s = NULL, i = argc; /* a usage error, below */
	}
	if (!name || !size_s) {
		msg_error("usage: monos volume create NAME --size SIZE");
		return CLI_EXIT_ERROR;
	}
	if (volume_path(name, path, sizeof(path), err, sizeof(err))) {
		msg_error("%s", err);
		return CLI_EXIT_ERROR;
	}
	if (parse_size(size_s, strlen(size_s), &size) || size < VOLUME_MIN_SIZE ||
	    size > VOLUME_MAX_SIZE) {
		msg_error("bad --size '%s': give bytes or a K, M, G or T suffix, from 1M to 16T",
			  size_s);
		return CLI_EXIT_ERROR;
	}
	if (volume_dir(dir, sizeof(dir)) || make_dir(dir)) {
		msg_error("cannot make the volumes directory %s: %s", dir, strerror(errno));
		return CLI_EXIT_ERROR;
	}
	if (create_file(name, path, size))
		return CLI_EXIT_ERROR;
	puts(name);
	return 0;
}

/* Whether a run holds the volume (an flock we cannot take). */
static bool in_use(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool busy;

	if (fd < 0)
		return false;
	busy = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

/* `name`'s path and stat, or a printed error. */
static int find_volume(const char *name, char *path, size_t n, struct stat *st)
{
	char err[512];

	if (volume_path(name, path, n, err, sizeof(err))) {
		msg_error("%s", err);
		return -1;
	}
	if (stat(path, st) < 0) {
		msg_error(errno == ENOENT ? "no volume named %s" : "volume %s: %s", name,
			  strerror(errno));
		return -1;
	}
	return 0;
}

/* One JSON string: `s` is a volume name or our own path, but escape
 * quotes and backslashes all the same. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static int cmd_inspect(int argc, char **argv)
{
	char path[PATH_MAX], when[64];
	struct stat st;

	if (argc != 1) {
		msg_error("usage: monos volume inspect NAME");
		return CLI_EXIT_ERROR;
	}
	if (find_volume(argv[0], path, sizeof(path), &st))
		return CLI_EXIT_ERROR;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&st.st_mtime));
	printf("[\n  {\n    \"Name\": ");
	json_str(argv[0]);
	printf(",\n    \"Driver\": \"local\",\n    \"Format\": \"ext4\",\n    \"Mountpoint\": ");
	json_str(path);
	printf(",\n    \"Size\": %llu,\n    \"Modified\": \"%s\",\n    \"InUse\": %s\n  }\n]\n",
	       (unsigned long long)st.st_size, when, in_use(path) ? "true" : "false");
	return 0;
}

/* Each NAME.img of the directory, sorted by name. */
static int cmd_ls(int argc, char **argv)
{
	char dir[PATH_MAX], path[PATH_MAX + NAME_MAX + sizeof(VOLUME_SUFFIX) + 2], size[32];
	struct dirent **list;
	int n;

	(void)argv;
	if (argc) {
		msg_error("usage: monos volume ls");
		return CLI_EXIT_ERROR;
	}
	printf("%-32s %s\n", "NAME", "SIZE");
	if (volume_dir(dir, sizeof(dir)) || (n = scandir(dir, &list, NULL, alphasort)) < 0)
		return 0; /* no directory yet: no volumes */
	for (int i = 0; i < n; i++) {
		char *name = list[i]->d_name, *dot = strrchr(name, '.');
		struct stat st;

		if (dot && !strcmp(dot, VOLUME_SUFFIX)) {
			*dot = 0;
			snprintf(path, sizeof(path), "%s/%s" VOLUME_SUFFIX, dir, name);
			if (volume_name_ok(name) && !stat(path, &st)) {
				msg_format_size(size, sizeof(size), st.st_size);
				printf("%-32s %s\n", name, size);
			}
		}
		free(list[i]);
	}
	free(list);
	return 0;
}

static int cmd_rm(int argc, char **argv)
{
	char path[PATH_MAX];
	struct stat st;
	int rc = 0;

	if (!argc) {
		msg_error("usage: monos volume rm NAME...");
		return CLI_EXIT_ERROR;
	}
	for (int i = 0; i < argc; i++) {
		if (find_volume(argv[i], path, sizeof(path), &st)) {
			rc = CLI_EXIT_ERROR;
		} else if (in_use(path)) {
			msg_error("volume %s is in use by a running instance", argv[i]);
			rc = CLI_EXIT_ERROR;
		} else if (unlink(path) < 0) {
			msg_error("volume %s: %s", argv[i], strerror(errno));
			rc = CLI_EXIT_ERROR;
		} else {
			puts(argv[i]);
		}
	}
	return rc;
}

int volume_main(int argc, char **argv)
{
	const char *cmd = argc ? argv[0] : NULL;

	if (!cmd || !strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(volume_help, cmd ? stdout : stderr);
		return cmd ? 0 : CLI_EXIT_ERROR;
	}
	if (!strcmp(cmd, "create"))
		return cmd_create(argc - 1, argv + 1);
	if (!strcmp(cmd, "ls") || !strcmp(cmd, "list"))
		return cmd_ls(argc - 1, argv + 1);
	if (!strcmp(cmd, "inspect"))
		return cmd_inspect(argc - 1, argv + 1);
	if (!strcmp(cmd, "rm") || !strcmp(cmd, "remove"))
		return cmd_rm(argc - 1, argv + 1);
	msg_error("unknown volume command '%s' (see 'monos volume --help')", cmd);
	return CLI_EXIT_ERROR;
}
