/*
 * execve and execveat: replace the calling process's program.  The
 * arguments and environment are copied in, '#!' scripts are followed to
 * their interpreter (exec/exec.c: exec_script), and the new program is
 * loaded into a fresh address space.  Only once that worked is the old
 * program given up (a failed execve returns to it, as Linux's does before
 * its point of no return): the other threads leave, O_CLOEXEC descriptors
 * close, handled signals go back to their default, POSIX timers go, and a
 * vfork parent goes on.  Semantics: Linux's fs/exec.c, fs/binfmt_script.c,
 * man 2 execve.
 */
#include "linux/syscall.h"
#include "arch/x86_64/cpu.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "core/vm.h"
#include "exec/exec.h"
#include "fs/perm.h"
#include "fs/vfs.h"
#include "linux/futex.h"
#include "linux/process.h"
#include "linux/signal.h"
#include <lib/fmt.h>

#define MAX_ARG_STRLEN	   (32 * PAGE_SIZE) /* include/uapi/linux/binfmts.h */
#define MAX_ARG_STRINGS	   0x7fffffff
#define ARGS_COPY_MAX	   (VM_STACK_SIZE / 4) /* exec_load checks the exact limit */
#define BINPRM_MAX_SCRIPTS 5		       /* Linux: depth > 5 in exec_binprm is ELOOP */
#define ARGS_MIN_CAP	   4096

/* A list of NUL-terminated strings, one after another (exec_load's form). */
struct arglist {
	char *buf;
	size_t len, cap, count;
};

/* Make room for `n` more bytes: 0, -E2BIG or -ENOMEM. */
static long arglist_room(struct arglist *l, size_t n)
{
	size_t cap = l->cap ? l->cap : ARGS_MIN_CAP;
	char *grown;

	if (l->len + n > ARGS_COPY_MAX + MAX_ARG_STRLEN)
		return -E2BIG;
	if (l->len + n <= l->cap)
		return 0;
	while (cap < l->len + n)
		cap *= 2;
	if (!(grown = kmalloc(cap)))
		return -ENOMEM;
	if (l->len)
		memcpy(grown, l->buf, l->len);
	kfree(l->buf);
	l->buf = grown;
	l->cap = cap;
	return 0;
}

static long arglist_add(struct arglist *l, const char *s)
{
	size_t n = strlen(s) + 1;
	long r = arglist_room(l, n);

	if (r)
		return r;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->count++;
	return 0;
}

/* Copy the program's NULL-ended vector of strings at `uvec` (NULL: none). */
static long arglist_copy(struct arglist *l, uint64_t uvec)
{
	for (uint64_t i = 0; uvec; i++) {
		uint64_t ustr;
		long n, r;

		if (copy_from_user(&ustr, uvec + i * sizeof(ustr), sizeof(ustr)))
			return -EFAULT;
		if (!ustr)
			return 0;
		if (l->count == MAX_ARG_STRINGS || l->len > ARGS_COPY_MAX)
			return -E2BIG;
		if ((r = arglist_room(l, MAX_ARG_STRLEN)))
			return r;
		n = strncpy_from_user(l->buf + l->len, ustr, MAX_ARG_STRLEN);
		if (n == -ENAMETOOLONG)
			return -E2BIG;
		if (n < 0)
			return n;
		l->len += n + 1;
		l->count++;
	}
	return 0;
}

/* A script's arguments (Linux's load_script): the interpreter, its one
 * argument if any, the script's name, then the arguments after argv[0]. */
static long script_args(struct arglist *l, const char *interp, const char *arg, const char *name)
{
	struct arglist n = { 0 };
	size_t skip = l->count ? strlen(l->buf) + 1 : 0;
	long r;

	if ((r = arglist_add(&n, interp)) || (*arg && (r = arglist_add(&n, arg))) ||
	    (r = arglist_add(&n, name)) || (r = arglist_room(&n, l->len - skip))) {
		kfree(n.buf);
		return r;
	}
	memcpy(n.buf + n.len, l->buf + skip, l->len - skip);
	n.len += l->len - skip;
	n.count += l->count ? l->count - 1 : 0;
	kfree(l->buf);
	*l = n;
	return 0;
}

/* What execve is about to run: the file, the name it goes by (AT_EXECFN,
 * argv[0] of a script's interpreter), the lists. */
struct exec_req {
	struct inode *ino;
	char *name; /* PATH_MAX */
	struct arglist args, env;
};

/* Follow '#!' lines to the program that runs: -ELOOP past four levels,
 * -ENOENT for a missing interpreter, -EACCES for one not executable. */
static long follow_scripts(struct exec_req *x)
{
	char interp[EXEC_SCRIPT_MAX], arg[EXEC_SCRIPT_MAX];

	for (int depth = 0;; depth++) {
		long r;

		if (!S_ISREG(x->ino->mode))
			return -EACCES;
		if ((r = perm_inode(x->ino, MAY_EXEC)))
			return r;
		if ((r = exec_script(x->ino, interp, arg)) <= 0)
			return r;
		if (depth == BINPRM_MAX_SCRIPTS)
			return -ELOOP;
		if ((r = script_args(&x->args, interp, arg, x->name)))
			return r;
		x->ino = vfs_lookup(vfs_cwd(), interp, true);
		if (IS_ERR(x->ino))
			return PTR_ERR(x->ino);
		strcpy(x->name, interp);
	}
}

/* The old program's last acts in its own address space `old` (Linux's
 * exec_mm_release): its robust futexes are released, and a clear_child_tid
 * word is cleared and woken (a vfork parent may wait on it). */
static void release_old(struct thread *t, struct mm *old)
{
	uint32_t zero = 0;

	mm_switch(old);
	futex_exit_thread(t);
	if (t->clear_child_tid && !copy_to_user(t->clear_child_tid, &zero, sizeof(zero)))
		futex_wake_one(t->clear_child_tid);
	t->clear_child_tid = 0;
	mm_switch(t->mm);
}

/* The process gives up what the old program had (exec succeeded). */
static long commit(struct exec_req *x, struct mm *old, const struct regs *r)
{
	struct thread *t = sched_current();
	struct process *p = process_current();
	const char *base = x->name;
	char *exe = kstrdup(x->name);

	process_exec_threads();
	release_old(t, old);
	mm_put(old);
	process_vfork_release(p);
	*sched_user_regs(t) = *r;
	fdt_close_on_exec(t->files);
	signal_exec_reset(t->sighand);
	signal_exec_thread(t);
	timer_exec(p);
	t->rseq = 0;
	t->robust_list = 0;
	t->fs_base = t->gs_base = 0;
	wrmsr(MSR_FS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	sched_fpu_reset();
	for (const char *s = x->name; *s; s++)
		if (*s == '/')
			base = s + 1;
	memset(p->comm, 0, sizeof(p->comm));
	strncpy(p->comm, base, sizeof(p->comm) - 1);
	if (exe) {
		kfree(p->exe);
		p->exe = exe;
	}
	p->did_exec = true;
	return 0;
}

static long do_execve(long dirfd, uint64_t upath, uint64_t uargv, uint64_t uenvp, long flags)
{
	struct thread *t = sched_current();
	struct exec_req x = { 0 };
	struct mm *old = t->mm, *mm;
	struct regs r;
	const char *why;
	long err, n;

	if (flags & ~(long)(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	if (!(x.name = kmalloc(PATH_MAX)))
		return -ENOMEM;
	n = strncpy_from_user(x.name, upath, PATH_MAX);
	if ((err = n < 0 ? n : 0))
		goto out;
	if ((err = arglist_copy(&x.args, uargv)) || (err = arglist_copy(&x.env, uenvp)))
		goto out;
	/* Linux 5.18: an empty argv gets "" as argv[0]. */
	if (!x.args.count && (err = arglist_add(&x.args, "")))
		goto out;
	x.ino = path_at_lookup(dirfd, upath, flags);
	if (IS_ERR(x.ino)) {
		err = PTR_ERR(x.ino);
		goto out;
	}
	/* Relative to a descriptor, the program's name is /dev/fd/N/PATH, as
	 * Linux names it (AT_EXECFN, a script's argument). */
	if ((int)dirfd != AT_FDCWD && x.name[0] != '/') {
		char *name = kmalloc(PATH_MAX);
		if (!name) {
			err = -ENOMEM;
			goto out;
		}
		if (n)
			fmt_snprintf(name, PATH_MAX, "/dev/fd/%d/%s", (int)dirfd, x.name);
		else
			fmt_snprintf(name, PATH_MAX, "/dev/fd/%d", (int)dirfd);
		kfree(x.name);
		x.name = name;
	}
	if ((err = follow_scripts(&x)))
		goto out;
	/* A table or actions shared with another process (CLONE_FILES,
	 * CLONE_SIGHAND) become the caller's own first, as Linux unshares. */
	if ((err = fdt_unshare(&t->files)) || (err = signal_sighand_unshare(&t->sighand)))
		goto out;
	if (!(mm = mm_create())) {
		err = -ENOMEM;
		goto out;
	}
	t->mm = mm;
	mm_switch(mm);
	err = exec_load(x.name, x.ino, x.args.buf, x.args.len, x.env.buf, x.env.len, &r, &why);
	if (err) {
		t->mm = old;
		mm_switch(old);
		mm_put(mm);
		goto out;
	}
	err = commit(&x, old, &r);
out:
	kfree(x.name);
	kfree(x.args.buf);
	kfree(x.env.buf);
	return err;
}

long sys_execve(uint64_t upath, uint64_t uargv, uint64_t uenvp)
{
	return do_execve(AT_FDCWD, upath, uargv, uenvp, 0);
}

long sys_execveat(long dirfd, uint64_t upath, uint64_t uargv, uint64_t uenvp, long flags)
{
	return do_execve(dirfd, upath, uargv, uenvp, flags);
}
