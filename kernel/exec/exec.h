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
 * Load the program at `path` (the file `ino` when not NULL: found by the
 * caller, its exec permission checked here; else `path` is looked up from
 * the working directory) with the arguments and environment given as
 * NUL-separated lists (`argv`/`argc`, `envp`/`envc`: the per-run data's
 * layout), and fill `r` for trap_enter_user().  The lists are held to
 * Linux's execve limits (a string of at most 128 KiB, strings and pointers
 * within a quarter of the stack rlimit) before anything is mapped, and their
 * strings land on the stack as Linux places them (argv's then envp's,
 * ascending, contiguous).  On failure returns -errno (-ENOENT, -EACCES,
 * -ENOEXEC, -ENOMEM, -E2BIG) and sets *why to a phrase for the log.
 */
struct inode;
long exec_load(const char *path, struct inode *ino, const char *argv, size_t argv_len,
	       const char *envp, size_t envp_len, struct regs *r, const char **why);

/*
 * Whether `ino` is a '#!' script: 1 with its interpreter's path in
 * `interp` and its one optional argument in `arg` (each at least
 * EXEC_SCRIPT_MAX bytes), 0 if not a script, -ENOEXEC for a script line
 * that names no interpreter or is cut before its end, or a read error.
 */
#define EXEC_SCRIPT_MAX 257
long exec_script(struct inode *ino, char *interp, char *arg);

/* The program's auxiliary vector as built at exec (for /proc/self/auxv and
 * getauxval-style queries): pairs of (type, value), ending with AT_NULL. */
const uint64_t *exec_auxv(size_t *len);

#endif
