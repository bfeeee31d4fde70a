/*
 * libFuzzer target: the ELF checks.  Every input goes through the kernel's
 * elf_parse() (kernel/lib/elf.c), whose promises in <lib/elf.h> are then
 * checked (a broken promise aborts, so the fuzzer reports it like a crash),
 * and through the CLI's deps_elf_read() (cli/deps_elf.c), as a shared object
 * and as a program, from a memfd as `monos run` reads a library from disk.
 *
 * Built by tests/fuzz/fuzz.mk with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "../../cli/deps_elf.c"
#include "../../kernel/lib/elf.c"

/* Whether [p, p + n) lies inside the input [buf, buf + len). */
static bool fuzz_inside(const void *p, uint64_t n, const uint8_t *buf, size_t len)
{
	const uint8_t *q = p;

	return q >= buf && q <= buf + len && n <= (uint64_t)(buf + len - q);
}

/* What elf_parse() promises when it returns 0. */
static void fuzz_check_info(const struct elf_info *info, const uint8_t *buf, size_t len)
{
	bool entry_loaded = false;
	unsigned nload = 0;

	if (info->type != ET_EXEC && info->type != ET_DYN)
		abort();
	if (!fuzz_inside(info->phdr, (uint64_t)info->phnum * sizeof(*info->phdr), buf, len))
		abort();
	for (uint16_t i = 0; i < info->phnum; i++) {
		const struct elf64_phdr *ph = &info->phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		nload++;
		if (!fuzz_inside(buf + ph->p_offset, ph->p_filesz, buf, len) ||
		    ph->p_filesz > ph->p_memsz || ph->p_vaddr + ph->p_memsz > ELF_USER_TOP ||
		    ph->p_vaddr < info->lo || ph->p_vaddr + ph->p_memsz > info->hi)
			abort();
		if (info->entry >= ph->p_vaddr && info->entry - ph->p_vaddr < ph->p_memsz)
			entry_loaded = true;
	}
	if (!nload || !entry_loaded || info->lo > info->hi || info->hi > ELF_USER_TOP)
		abort();
	if (info->interp && !fuzz_inside(info->interp, strlen(info->interp) + 1, buf, len))
		abort();
}

/* deps_elf_read() reads a path: hand it the input through a memfd. */
static void fuzz_deps(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	char err[512];

	if (fd < 0) {
		fd = memfd_create("fuzz_elf", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	for (int shared = 0; shared < 2; shared++) {
		struct deps_object o;

		memset(&o, 0, sizeof(o));
		err[0] = '\0';
		if (deps_elf_read(path, shared, &o, err, sizeof(err)) < 0 && !err[0])
			abort(); /* -1 promises one line of reason */
		deps_elf_free(&o);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_info info;
	const char *why = NULL;

	if (elf_parse(data, size, &info, &why) == 0)
		fuzz_check_info(&info, data, size);
	else if (!why)
		abort();
	fuzz_deps(data, size);
	return 0;
}
