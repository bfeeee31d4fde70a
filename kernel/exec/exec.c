/*
 * ELF loading.  Static (ET_EXEC), static-pie (ET_DYN without PT_INTERP) and
 * dynamic programs are mapped from the image in place: each PT_LOAD becomes a
 * file area over the program's inode, plus an anonymous area for the rest of
 * its bss.  A dynamic program's interpreter (ld.so) is mapped the same way and
 * started first, with AT_BASE, AT_ENTRY and AT_PHDR telling it the rest.  The stack follows the System V x86-64 ABI, 3.4.1, and Linux's
 * fs/binfmt_elf.c create_elf_tables().
 */
#include "exec/exec.h"
#include "arch/x86_64/cpu.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/random.h"
#include "core/uaccess.h"
#include "core/vm.h"
#include "fs/vfs.h"
#include "fs/perm.h"
#include "vdso/vdso_map.h"
#include <lib/elf.h>
#include "linux/uapi.h"

/* Auxiliary vector types (include/uapi/linux/auxvec.h). */
#define AT_NULL		0
#define AT_PHDR		3
#define AT_PHENT	4
#define AT_PHNUM	5
#define AT_PAGESZ	6
#define AT_BASE		7
#define AT_FLAGS	8
#define AT_ENTRY	9
#define AT_UID		11
#define AT_EUID		12
#define AT_GID		13
#define AT_EGID		14
#define AT_PLATFORM	15
#define AT_HWCAP	16
#define AT_CLKTCK	17
#define AT_SECURE	23
#define AT_RANDOM	25
#define AT_HWCAP2	26
#define AT_EXECFN	31
#define AT_SYSINFO_EHDR 33
#define AT_MINSIGSTKSZ	51
#define MAX_AUXV	24
#define RFLAGS_IF	0x202
/* Linux's x86 signal frame without the XSAVE area (struct rt_sigframe,
 * ucontext and siginfo) plus alignment: AT_MINSIGSTKSZ is this + XSAVE size. */
#define SIGFRAME_BASE 1024

/* What exec mapped: the program, and its interpreter if it has one. */
struct loaded {
	struct elf_info prog;
	uint64_t bias;	      /* added to the program's addresses (PIE) */
	uint64_t interp_base; /* AT_BASE: where the interpreter went, or 0 */
	uint64_t entry;	      /* the first instruction: the interpreter's if any */
	uint64_t vdso;	      /* AT_SYSINFO_EHDR: the vDSO's ELF header */
	bool secure;	      /* AT_SECURE: it runs with privileges it gained */
};

_Static_assert(MAX_AUXV * 2 <= MM_AUXV_WORDS, "struct mm's auxv");

const uint64_t *exec_auxv(size_t *len)
{
	*len = mm_current()->auxv_len;
	return mm_current()->auxv;
}

static unsigned seg_prot(uint32_t flags)
{
	return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
	       (flags & PF_X ? PROT_EXEC : 0);
}

/* Map every PT_LOAD of `ino` at `bias`; returns the highest end (for brk). */
static long map_segments(struct inode *ino, const struct elf_info *info, uint64_t bias)
{
	uint64_t top = 0;

	for (unsigned i = 0; i < info->phnum; i++) {
		const struct elf64_phdr *ph = &info->phdr[i];
		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		uint64_t va = ph->p_vaddr + bias, start = ALIGN_DOWN(va, PAGE_SIZE);
		uint64_t off = ALIGN_DOWN(ph->p_offset, PAGE_SIZE);
		uint64_t file_end = ALIGN_UP(va + ph->p_filesz, PAGE_SIZE);
		uint64_t mem_end = ALIGN_UP(va + ph->p_memsz, PAGE_SIZE);
		unsigned prot = seg_prot(ph->p_flags);

		if (file_end > start && vm_map(start, file_end - start, prot, ino, vfs_vm_ops(ino),
					       off, ph->p_offset + ph->p_filesz - off, NULL))
			return -ENOMEM;
		if (mem_end > file_end &&
		    vm_map(file_end, mem_end - file_end, prot, NULL, NULL, 0, 0, NULL))
			return -ENOMEM;
		top = MAX(top, mem_end);
	}
	return top;
}

/*
 * Linux's limits on what exec copies (include/uapi/linux/binfmts.h, fs/exec.c
 * bprm_stack_limits() and copy_strings()): each string at most MAX_ARG_STRLEN
 * bytes with its NUL, at most MAX_ARG_STRINGS in each list, and the strings
 * (the file name, envp's, argv's) plus one pointer per argument and variable
 * within a quarter of the stack rlimit, capped at 3/4 of _STK_LIM and never
 * below ARG_MAX.  Beyond them execve fails with E2BIG.  The rlimit is
 * RLIMIT_STACK's default, VM_STACK_SIZE: nothing can change it before exec.
 */
#define MAX_ARG_STRLEN	(32 * PAGE_SIZE)
#define MAX_ARG_STRINGS 0x7fffffff
#define ARG_MAX		(32 * PAGE_SIZE)
#define STK_LIM		(8ul << 20)
#define ARGS_LIMIT	MAX(MIN(STK_LIM / 4 * 3, VM_STACK_SIZE / 4), ARG_MAX)
#define PTR_BATCH	64 /* pointers written to the stack per copy */
/* A program outside the image is read whole for its headers: up to this. */
#define EXEC_READ_MAX (256ul << 20)
/* ...but first its head, where the headers are: one 64 KiB 9p read. */
#define EXEC_HEAD (64ul << 10)

/* A per-run list of NUL-separated strings (bootinfo.h); a last string
 * without its NUL gets one on the stack. */
struct strlist {
	const char *s;
	size_t len;   /* bytes at s */
	size_t count; /* strings */
	size_t size;  /* bytes on the stack: len, plus a missing last NUL */
};

/* Count a list's strings; -E2BIG if one is longer than Linux allows. */
static long strlist_init(struct strlist *l, const char *s, size_t len)
{
	*l = (struct strlist){ .s = s, .len = len };
	for (size_t i = 0; i < len;) {
		size_t n = strnlen(s + i, len - i) + 1;

		if (n > MAX_ARG_STRLEN || ++l->count > MAX_ARG_STRINGS)
			return -E2BIG;
		i += n;
	}
	l->size = len + (len && s[len - 1] ? 1 : 0);
	return 0;
}

/* Copy a list's strings to the program's stack at `at`. */
static long strlist_put(const struct strlist *l, uint64_t at)
{
	static const char nul;

	if (copy_to_user(at, l->s, l->len))
		return -EFAULT;
	return l->size > l->len ? copy_to_user(at + l->len, &nul, 1) : 0;
}

/* Write the addresses of a list's strings (copied to `at`) and a NULL to
 * the pointer array at `dst`, a batch at a time. */
static long strlist_put_ptrs(const struct strlist *l, uint64_t at, uint64_t dst)
{
	uint64_t batch[PTR_BATCH];
	size_t k = 0;

	for (size_t i = 0;; i += strnlen(l->s + i, l->len - i) + 1) {
		bool end = i >= l->len;

		batch[k++] = end ? 0 : at + i;
		if (k == PTR_BATCH || end) {
			if (copy_to_user(dst, batch, k * sizeof(batch[0])))
				return -EFAULT;
			dst += k * sizeof(batch[0]);
			k = 0;
		}
		if (end)
			return 0;
	}
}

/* The lists as Linux's execve would take them: 0, or -E2BIG with *why. */
static long args_check(const char *path, struct strlist *args, const char *argv, size_t argv_len,
		       struct strlist *env, const char *envp, size_t envp_len, const char **why)
{
	size_t ptrs;

	*why = "an argument or variable is longer than 128 KiB (MAX_ARG_STRLEN)";
	if (strlist_init(args, argv, argv_len) || strlist_init(env, envp, envp_len))
		return -E2BIG;
	ptrs = (MAX(args->count, 1) + env->count) * sizeof(uint64_t);
	*why = "argument list too long: arguments, environment and pointers pass a quarter of "
	       "the stack limit";
	if (ptrs >= ARGS_LIMIT || strlen(path) + 1 + args->size + env->size > ARGS_LIMIT - ptrs)
		return -E2BIG;
	return 0;
}

static void auxv_build(const struct loaded *ld, uint64_t platform, uint64_t random, uint64_t execfn)
{
	const struct cred *c = cred_current();
	const uint64_t v[] = {
		AT_PHDR,	 ld->prog.phdr_vaddr + ld->bias,
		AT_PHENT,	 sizeof(struct elf64_phdr),
		AT_PHNUM,	 ld->prog.phnum,
		AT_PAGESZ,	 PAGE_SIZE,
		AT_BASE,	 ld->interp_base,
		AT_FLAGS,	 0,
		AT_ENTRY,	 ld->prog.entry + ld->bias,
		AT_UID,		 c->uid,
		AT_EUID,	 c->euid,
		AT_GID,		 c->gid,
		AT_EGID,	 c->egid,
		AT_PLATFORM,	 platform,
		AT_HWCAP,	 cpu_features.hwcap,
		AT_CLKTCK,	 USER_HZ,
		AT_SECURE,	 ld->secure,
		AT_RANDOM,	 random,
		AT_HWCAP2,	 cpu_features.hwcap2,
		AT_EXECFN,	 execfn,
		AT_MINSIGSTKSZ,	 SIGFRAME_BASE + cpu_features.xsave_size,
		AT_SYSINFO_EHDR, ld->vdso,
		AT_NULL,	 0,
	};
	memcpy(mm_current()->auxv, v, sizeof(v));
	mm_current()->auxv_len = ARRAY_SIZE(v);
}

/*
 * Build the program's stack as Linux does, downwards from its top: a NULL
 * word, the file name (AT_EXECFN), envp's strings above argv's (so both
 * ascend contiguously), "x86_64" (AT_PLATFORM), 16 random bytes (AT_RANDOM),
 * then argc, argv[], NULL, envp[], NULL and the auxv, with rsp 16-byte
 * aligned at argc.  Everything is written straight to the stack's pages.
 */
static long build_stack(const char *path, const struct strlist *args, const struct strlist *env,
			const struct loaded *ld, uint64_t *sp)
{
	static const char platform[] = "x86_64";
	size_t path_size = strlen(path) + 1, words;
	uint64_t execfn = VM_STACK_TOP - sizeof(uint64_t) - path_size;
	uint64_t envs = execfn - env->size, argvs = envs - args->size;
	uint64_t plat = ALIGN_DOWN(argvs, 16) - sizeof(platform), random = plat - 16;
	uint64_t argc = args->count, vecs;
	uint8_t rnd[16];

	random_fill(rnd, sizeof(rnd));
	auxv_build(ld, plat, random, execfn);
	words = 1 + argc + 1 + env->count + 1 + mm_current()->auxv_len;
	mm_current()->arg_start = argvs;
	mm_current()->arg_end = argvs + args->size;
	mm_current()->env_start = envs;
	mm_current()->env_end = envs + env->size;
	*sp = ALIGN_DOWN(random - words * sizeof(uint64_t), 16);
	vecs = *sp + sizeof(uint64_t);
	if (copy_to_user(execfn, path, path_size) || strlist_put(env, envs) ||
	    strlist_put(args, argvs) || copy_to_user(plat, platform, sizeof(platform)) ||
	    copy_to_user(random, rnd, sizeof(rnd)) || copy_to_user(*sp, &argc, sizeof(argc)) ||
	    strlist_put_ptrs(args, argvs, vecs) ||
	    strlist_put_ptrs(env, envs, vecs + (argc + 1) * sizeof(uint64_t)) ||
	    copy_to_user(vecs + (argc + 1 + env->count + 1) * sizeof(uint64_t), mm_current()->auxv,
			 mm_current()->auxv_len * sizeof(uint64_t)))
		return -ENOMEM;
	return 0;
}

/*
 * The headers of ELF file `ino` outside the image, read into *copy: its
 * first EXEC_HEAD bytes, which hold them in practice (a program on a share
 * is then not read whole: python3 is 6.8 MB), else the whole file.
 */
static long read_elf(struct inode *ino, struct elf_info *info, void **copy, const char **why)
{
	size_t n = MIN(ino->size, (uint64_t)EXEC_HEAD);

	for (;;) {
		if (!(*copy = kmalloc(n ? n : 1)))
			return *why = "out of memory reading it", -ENOMEM;
		if (vfs_inode_read(ino, *copy, n, 0) != (long)n)
			return *why = "cannot read it", -EIO;
		if (!elf_parse_head(*copy, n, ino->size, info, why))
			return 0;
		if (n == ino->size)
			return -ENOEXEC;
		if (ino->size > EXEC_READ_MAX)
			return *why = "too large to read from this filesystem", -ENOEXEC;
		kfree(*copy);
		*copy = NULL;
		n = ino->size;
	}
}

/*
 * Find and check an ELF file of the image.  The ELF reader uses the headers
 * in place, which needs them 8-byte aligned; an image packed by another tool
 * (GNU cpio aligns data to 4 bytes only) is read from an aligned copy, kept
 * in *copy until exec is done with the headers.  Mapping is unaffected: vm.c
 * copies pages whose data is not page aligned.
 */
static long open_elf(const char *path, struct inode **ino, struct elf_info *info, void **copy,
		     const char **why)
{
	const void *data;

	if (!*ino)
		*ino = vfs_lookup(vfs_cwd(), path, true);
	if (*ino == ERR_PTR(-EACCES))
		return *why = "a directory on its path is not searchable by the user", -EACCES;
	if (IS_ERR(*ino))
		return *why = "cannot find it in the image", PTR_ERR(*ino);
	if (!S_ISREG((*ino)->mode))
		return *why = "not a regular file", -EACCES;
	if (perm_inode(*ino, MAY_EXEC))
		return *why = "no permission to execute it", -EACCES;
	data = (*ino)->data;
	if (!data) /* a file that is not the image's (tmpfs, a share): read its head */
		return read_elf(*ino, info, copy, why);
	if (!IS_ALIGNED((uint64_t)data, 8)) {
		if (!(*copy = kmalloc((*ino)->size ? (*ino)->size : 1)))
			return *why = "out of memory reading it", -ENOMEM;
		data = memcpy(*copy, data, (*ino)->size);
	}
	if (elf_parse(data, (*ino)->size, info, why))
		return -ENOEXEC;
	return 0;
}

/*
 * Map the interpreter named by PT_INTERP (ld.so) where mmap would put it, as
 * Linux does; it then maps the program's libraries itself.
 */
static long load_interp(struct loaded *ld, void **copy, const char **why)
{
	struct inode *ino = NULL;
	struct elf_info info;
	uint64_t base;
	long err = open_elf(ld->prog.interp, &ino, &info, copy, why);

	if (err) {
		if (err == -ENOENT)
			*why = "its interpreter is not in the image";
		return err;
	}
	if (info.interp || info.type != ET_DYN)
		return *why = "its interpreter is not a shared object", -ELIBBAD;
	base = vm_find_free(info.hi - info.lo);
	if (!base)
		return *why = "no room for its interpreter", -ENOMEM;
	err = map_segments(ino, &info, base - info.lo);
	if (err < 0)
		return *why = "out of memory mapping its interpreter", err;
	ld->interp_base = base - info.lo;
	ld->entry = info.entry + ld->interp_base;
	return 0;
}

/* exec_load() once the copies of misaligned headers exist. */
static long load(const char *path, struct inode *ino, const char *argv, size_t argv_len,
		 const char *envp, size_t envp_len, struct regs *r, void **copies, const char **why)
{
	struct loaded ld = { 0 };
	struct strlist args, env;
	uint64_t sp;
	long top, err;

	if ((err = args_check(path, &args, argv, argv_len, &env, envp, envp_len, why)))
		return err;
	if ((err = open_elf(path, &ino, &ld.prog, &copies[0], why)))
		return err;
	if (ld.prog.type == ET_DYN)
		ld.bias = VM_PIE_BASE - ld.prog.lo;
	top = map_segments(ino, &ld.prog, ld.bias);
	if (top < 0)
		return *why = "out of memory mapping it", top;
	mm_current()->brk_start = mm_current()->brk_end = top;
	ld.entry = ld.prog.entry + ld.bias;
	if (ld.prog.interp && (err = load_interp(&ld, &copies[1], why)))
		return err;
	if (vm_map(VM_STACK_TOP - VM_STACK_SIZE, VM_STACK_SIZE, PROT_READ | PROT_WRITE, NULL, NULL,
		   0, 0, "[stack]"))
		return *why = "out of memory for the stack", -ENOMEM;
	if ((err = vdso_map_install()) < 0)
		return *why = "out of memory for the vDSO", err;
	ld.vdso = err;
	/* Set-user-ID and set-group-ID bits, and capabilities, as execve. */
	ld.secure = cred_exec(ino->mode, ino->uid, ino->gid);
	if ((err = build_stack(path, &args, &env, &ld, &sp)))
		return *why = "out of memory for the stack", err;
	memset(r, 0, sizeof(*r));
	r->rip = ld.entry;
	r->rsp = sp;
	r->cs = USER_CS;
	r->ss = USER_DS;
	r->rflags = RFLAGS_IF;
	return 0;
}

long exec_load(const char *path, struct inode *ino, const char *argv, size_t argv_len,
	       const char *envp, size_t envp_len, struct regs *r, const char **why)
{
	void *copies[2] = { NULL, NULL }; /* the program's and the interpreter's */
	long err;

	*why = "";
	err = load(path, ino, argv, argv_len, envp, envp_len, r, copies, why);
	kfree(copies[0]);
	kfree(copies[1]);
	return err;
}

/*
 * Linux's binfmt_script: a file that starts with "#!" names its
 * interpreter, and at most one argument, on its first line (within
 * BINPRM_BUF_SIZE bytes: a longer line is cut there, as since Linux 5.1 a
 * cut interpreter name fails).  Leading blanks are skipped; the argument
 * is the rest of the line less trailing blanks.
 */
#define BINPRM_BUF_SIZE 256

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

long exec_script(struct inode *ino, char *interp, char *arg)
{
	char buf[BINPRM_BUF_SIZE + 1];
	long n = ino->data ? (long)MIN(ino->size, (uint64_t)BINPRM_BUF_SIZE)
			   : vfs_inode_read(ino, buf, BINPRM_BUF_SIZE, 0);
	char *p, *end, *name;

	if (n < 0)
		return n;
	if (ino->data)
		memcpy(buf, ino->data, n);
	if (n < 2 || buf[0] != '#' || buf[1] != '!')
		return 0;
	buf[n] = 0;
	end = memchr(buf, '\n', n);
	if (!end) {
		/* No newline within the buffer: only a name that ends before it
		 * (a blank follows) is whole (Linux 5.1's rule). */
		for (p = buf + 2; blank(*p); p++)
			;
		while (*p && !blank(*p))
			p++;
		if (!*p)
			return -ENOEXEC;
		end = buf + n;
	}
	*end = 0;
	while (end > buf + 2 && blank(end[-1]))
		*--end = 0;
	for (p = buf + 2; blank(*p); p++)
		;
	if (!*p)
		return -ENOEXEC; /* "#!" and nothing: no interpreter */
	name = p;
	while (*p && !blank(*p))
		p++;
	if (*p)
		*p++ = 0;
	while (blank(*p))
		p++;
	strcpy(interp, name);
	strcpy(arg, p);
	return 1;
}
