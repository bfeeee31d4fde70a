/*
 * Guest test, area fs: /proc and /sys as programs read them, checking only
 * what is the same natively and in monos: /proc/self/exe ends with the
 * program's name; maps has [stack], [heap] and the program's path;
 * cmdline equals argv; status has Name and Pid; self/fd lists the open
 * descriptors; cpuinfo, meminfo, stat, uptime, loadavg, sys/kernel and
 * /sys/devices/system/cpu/online parse; /proc/PID is found by its number
 * and listed in /proc, and names that are no pid are not.
 */
#include "guest.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/stat.h>

static char text[1 << 20];

/* The whole file into `text` (NUL terminated); its length or -1. */
static long slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	long len = 0, n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
		len += n;
	close(fd);
	text[len] = 0;
	return len;
}

/* Does some line of `text` start with `prefix` and contain `part`? */
static int has_line(const char *prefix, const char *part)
{
	for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char *end = strchr(l, '\n');
		size_t n = end ? (size_t)(end - l) : strlen(l);
		if (!strncmp(l, prefix, strlen(prefix)) && memmem(l, n, part, strlen(part)))
			return 1;
	}
	return 0;
}

static void test_self(int argc, char **argv)
{
	char exe[4096], link[64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *name = guest_basename(argv[0]);
	long len;

	exe[n < 0 ? 0 : n] = 0;
	guest_check("self/exe is absolute", n > 0 && exe[0] == '/');
	guest_check("self/exe ends with the name", n > 0 && !strcmp(guest_basename(exe), name));
	len = slurp("/proc/self/cmdline");
	long want = 0;
	for (int i = 0; i < argc; i++)
		want += strlen(argv[i]) + 1;
	guest_check("cmdline length", len == want);
	guest_check("cmdline equals argv",
		    len > 0 && !strcmp(text + strlen(text) + 1, argc > 1 ? argv[1] : ""));
	/* Linux shows [heap] once the break has moved (raw: musl's sbrk
	 * refuses to move it). */
	long brk0 = syscall(SYS_brk, 0);
	syscall(SYS_brk, brk0 + 8192);
	slurp("/proc/self/maps");
	guest_check("maps has [stack]", has_line("7", "[stack]"));
	guest_check("maps has [heap]", strstr(text, " [heap]\n") != NULL);
	guest_check("maps has the program", strstr(text, exe) != NULL);
	guest_check("maps line format", text[8] == '-' || text[12] == '-');
	slurp("/proc/self/status");
	guest_check("status Name", has_line("Name:\t", name[0] ? (char[2]){ name[0], 0 } : ""));
	guest_check("status Pid", has_line("Pid:\t", ""));
	guest_check("status VmRSS", has_line("VmRSS:", "kB"));
	slurp("/proc/self/stat");
	guest_check("stat pid and comm", atoi(text) > 0 && strchr(text, '(') && strstr(text, ") "));
	n = slurp("/proc/self/auxv");
	guest_check("auxv has AT_PAGESZ", n > 0 && n % 16 == 0);
	snprintf(link, sizeof(link), "/proc/%d/status", getpid());
	guest_check("/proc/<pid> is self", slurp(link) > 0 && has_line("Pid:\t", ""));
}

static void test_fd(void)
{
	int fd = open("/proc/self/status", O_RDONLY), seen = 0;
	char path[64], target[256];
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	ssize_t n;

	while (d && (e = readdir(d)))
		seen += atoi(e->d_name) == fd;
	closedir(d);
	guest_check("self/fd lists an open fd", seen == 1);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	target[n < 0 ? 0 : n] = 0;
	guest_check("fd link names the file", n > 0 && strstr(target, "/status") != NULL);
	close(fd);
	guest_check_err("closed fd gone", readlink(path, target, sizeof(target)), ENOENT);
}

static void test_system(void)
{
	long online = -1;

	slurp("/proc/cpuinfo");
	guest_check("cpuinfo processor", has_line("processor", ": 0"));
	slurp("/proc/meminfo");
	guest_check("meminfo MemTotal", has_line("MemTotal:", "kB"));
	guest_check("meminfo MemFree", has_line("MemFree:", "kB"));
	slurp("/proc/stat");
	guest_check("stat cpu line", has_line("cpu ", " "));
	slurp("/proc/uptime");
	guest_check("uptime", strtod(text, NULL) >= 0 && strchr(text, '.'));
	slurp("/proc/loadavg");
	guest_check("loadavg", strchr(text, '/') != NULL);
	slurp("/proc/sys/kernel/ostype");
	guest_check("ostype", !strcmp(text, "Linux\n"));
	guest_check("osrelease", slurp("/proc/sys/kernel/osrelease") > 2 && text[1] == '.');
	guest_check("pid_max", slurp("/proc/sys/kernel/pid_max") > 0 && atol(text) > 0);
	guest_check("boot_id", slurp("/proc/sys/kernel/random/boot_id") == 37 && text[8] == '-');
	guest_check("uuid", slurp("/proc/sys/kernel/random/uuid") == 37 && text[14] == '4');
	if (slurp("/sys/devices/system/cpu/online") > 0)
		online = strtol(text, NULL, 10);
	guest_check("cpu/online parses", online == 0 && strchr(text, '\n'));
	guest_check("cpu/possible", slurp("/sys/devices/system/cpu/possible") > 0);
	guest_check_err("missing /proc file", open("/proc/self/nonesuch", O_RDONLY), ENOENT);
}

/* /proc/PID by lookup (design.md contract 19), and /proc's listing of it. */
static void test_pids(void)
{
	char path[64];
	struct stat self, bypid;
	struct dirent *e;
	DIR *d = opendir("/proc");
	int listed = 0;

	snprintf(path, sizeof(path), "%d", getpid());
	while (d && (e = readdir(d)))
		listed += !strcmp(e->d_name, path) && e->d_type == DT_DIR;
	closedir(d);
	guest_check("/proc lists the caller's pid", listed == 1);
	snprintf(path, sizeof(path), "/proc/%d", getpid());
	guest_check("/proc/PID is /proc/self",
		    stat(path, &bypid) == 0 && stat("/proc/self", &self) == 0 &&
			    S_ISDIR(bypid.st_mode) && bypid.st_ino == self.st_ino);
	snprintf(path, sizeof(path), "/proc/%d/status", getpid());
	guest_check("/proc/PID/status", slurp(path) > 0 && has_line("Name:", ""));
	guest_check_err("/proc/0", open("/proc/0", O_RDONLY), ENOENT);
	guest_check_err("/proc/01", open("/proc/01", O_RDONLY), ENOENT);
	guest_check_err("/proc/+1", open("/proc/+1", O_RDONLY), ENOENT);
	guest_check_err("/proc/4294967297", open("/proc/4294967297", O_RDONLY), ENOENT);
	/* Its operations are procfs' own: a size change still reaches the
	 * checks (once a call through a missing operation). */
	snprintf(path, sizeof(path), "/proc/%d", getpid());
	guest_check_err("truncate /proc/PID", truncate(path, 0), EISDIR);
}

int main(int argc, char **argv)
{
	test_self(argc, argv);
	test_fd();
	test_system();
	test_pids();
	return guest_finish();
}
