/*
 * The boot's start of the management agent (design.md contract 23; the
 * program is agent/, packed by the CLI only when --api or --health asks for
 * it).  The per-run entry "agent" (bootinfo.h) holds its arguments; the
 * kernel loads the program they name into a new address space and makes it
 * a process of its own beside PID 1, before PID 1 execs the application:
 *   - it is not PID 1 and not PID 1's child (the application's wait(-1)
 *     never sees it): no parent, its own session, as a kernel thread's
 *     child would be; a zombie it leaves stays until the instance ends;
 *   - it runs as root whoever the application runs as (monos run -u):
 *     it writes /dev/monos, root's alone;
 *   - the API token (per-run "api-token") reaches it alone, in its
 *     environment, never as a file the application could read;
 *   - it does not keep the instance alive: PID 1's end ends the instance
 *     (contract 18) whatever else runs.
 */
#include "init/agent.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/vm.h"
#include "exec/exec.h"
#include "fs/vfs.h"
#include "linux/monos_dev.h"
#include "linux/process.h"
#include "linux/signal.h"
#include <lib/errno.h>
#include <monos/bootinfo.h>

#define AGENT_COMM    "monos-agent"
#define AGENT_ENV_MAX 4200 /* MONOS_API_TOKEN= and a token of up to 4 KiB */

int vfs_runfile(const char *name, const uint8_t **data, size_t *size);

/* Root's ids and capabilities in place of `c`'s (a copy of the user's). */
static void make_root(struct cred *c)
{
	c->uid = c->euid = c->suid = c->fsuid = 0;
	c->gid = c->egid = c->sgid = c->fsgid = 0;
	c->ngroups = 0;
	c->cap_prm = c->cap_eff = c->cap_bset = CAP_FULL_SET;
	c->cap_inh = c->cap_amb = 0;
}

/* Load the agent into a new address space, leaving the caller's current:
 * the mm, or NULL (logged). */
static struct mm *load_agent(const char *argv, size_t len, const char *env, size_t env_len,
			     struct regs *r)
{
	struct thread *cur = sched_current();
	struct mm *old = cur->mm, *mm = mm_create();
	const char *why;
	long err;

	/* The CLI packs it in the image, which a root share hides
	 * (fs/mount_boot.c): found from the image's own top. */
	struct inode *prog = vfs_lookup(vfs_image_root(), argv + (argv[0] == '/'), true);

	if (!mm)
		return NULL;
	cur->mm = mm;
	mm_switch(mm);
	err = IS_ERR(prog) ? PTR_ERR(prog)
			   : exec_load(argv, prog, argv, len, env, env_len, r, &why);
	if (IS_ERR(prog))
		why = "not in the image";
	cur->mm = old;
	mm_switch(old);
	if (err) {
		klog("monos: cannot start the agent %s: %s (%s)\n", argv, why,
		     errno_name((int)-err));
		mm_put(mm);
		return NULL;
	}
	return mm;
}

/* Give the new thread `t` of process `p` what a fork would; false when
 * out of memory (nothing kept). */
static bool agent_inherit(struct thread *t, struct mm *mm)
{
	struct thread *cur = sched_current();

	t->mm = mm;
	t->files = fdt_dup(cur->files);
	t->fs = vfs_fs_dup(cur->fs);
	t->sighand = signal_sighand_dup(cur->sighand);
	t->cred = cred_dup(cur->cred);
	t->sig = signal_state_alloc();
	if (t->files && t->fs && t->sighand && t->cred && t->sig)
		return true;
	if (t->files)
		fdt_put(t->files);
	if (t->fs)
		vfs_fs_put(t->fs);
	if (t->sighand)
		signal_sighand_put(t->sighand);
	if (t->cred)
		cred_free(t->cred);
	kfree(t->sig);
	return false;
}

/* The agent's environment: MONOS_API_TOKEN=TOKEN when the per-run data
 * has one (never a file in the guest: a program cannot read it); its
 * length with the NUL, or 0. */
static size_t agent_env(char *env, size_t size)
{
	static const char name[] = "MONOS_API_TOKEN=";
	const uint8_t *tok;
	size_t len;

	if (vfs_runfile("api-token", &tok, &len) || !len || sizeof(name) - 1 + len + 1 > size ||
	    memchr(tok, 0, len))
		return 0;
	memcpy(env, name, sizeof(name) - 1);
	memcpy(env + sizeof(name) - 1, tok, len);
	env[sizeof(name) - 1 + len] = 0;
	return sizeof(name) + len;
}

void init_agent_start(const char *cmdline)
{
	const uint8_t *data;
	size_t len, env_len;
	char *env;
	struct regs r;
	struct mm *mm;
	struct process *p;
	struct thread *t;

	if (vfs_runfile("agent", &data, &len))
		return;
	if (!len || data[len - 1] != 0) {
		klog("monos: the per-run agent entry is malformed: no agent\n");
		return;
	}
	monos_dev_init(cmdline);
	if (!(env = kmalloc(AGENT_ENV_MAX))) /* not on the boot thread's stack */
		boot_out_of_memory("the agent");
	env_len = agent_env(env, AGENT_ENV_MAX);
	mm = load_agent((const char *)data, len, env, env_len, &r);
	memset(env, 0, AGENT_ENV_MAX); /* the token lives on in the agent alone */
	kfree(env);
	if (!mm)
		return;
	p = process_create(process_current());
	t = p ? sched_spawn(&r, 0) : NULL;
	if (!t || !agent_inherit(t, mm)) {
		/* A spawned thread that never ran cannot be taken back: out of
		 * memory this early ends the boot, as the boot's own do. */
		boot_out_of_memory("the agent");
	}
	make_root(t->cred);
	p->exit_signal = 0;
	p->parent = NULL;
	memset(p->comm, 0, sizeof(p->comm));
	memcpy(p->comm, AGENT_COMM, sizeof(AGENT_COMM));
	kfree(p->exe);			      /* PID 1's, copied by process_create */
	p->exe = kstrdup((const char *)data); /* /proc/PID/exe; NULL: unset */
	process_start(p, t);
	p->pgid = p->sid = p->pid;
}
