/*
 * Starting the program: map an ELF from the image, build the initial stack
 * as Linux does (argc, argv, envp, auxv), and describe the first entry to
 * ring 3.
 */
#ifndef EXEC_EXEC_H
#define EXEC_EXEC_H

#include <stddef.h>
#include <stdint.h>

struct regs;

/*
 * Load the program at `path` with the arguments and environment given as
 * NUL-separated lists (`argv`/`argc`, `envp`/`envc`: the per-run data's
 * layout), and fill `r` for trap_enter_user().  The lists are held to
 * Linux's execve limits (a string of at most 128 KiB, strings and pointers
 * within a quarter of the stack rlimit) before anything is mapped, and their
 * strings land on the stack as Linux places them (argv's then envp's,
 * ascending, contiguous).  On failure returns -errno (-ENOENT, -EACCES,
 * -ENOEXEC, -ENOMEM, -E2BIG) and sets *why to a phrase for the log.
 */
long exec_load(const char *path, const char *argv, size_t argv_len, const char *envp,
	       size_t envp_len, struct regs *r, const char **why);

/* The program's auxiliary vector as built at exec (for /proc/self/auxv and
 * getauxval-style queries): pairs of (type, value), ending with AT_NULL. */
const uint64_t *exec_auxv(size_t *len);

#endif
