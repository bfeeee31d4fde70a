/*
 * `monos exec`, the guest's half (design.md contract 25): the host's
 * MONOS_CHAN_EXEC frame starts a process beside the program, as runc's
 * exec starts one in a running container, and the process's fds 0, 1 and
 * 2 travel on the frame's stream (include/monos/channel.h, version 2).
 *
 * Each started process has a slot, found by its stream id:
 *   FREE -> PENDING   the request arrived (interrupt context; copied here)
 *   PENDING -> RUNNING the exec thread started it, or back to FREE after
 *                     an XEXIT saying why it could not
 *   RUNNING -> ENDED  its last thread left (process.c's orphan hook)
 *   ENDED -> FREE     the exec thread sent its XEXIT and reaped it; the slot
 *                     stays taken (DRAINING) while a descendant still holds
 *                     one of its files, whose writes still carry its id.
 * The process is started as the agent is (init/agent.c): no parent (the
 * program's wait(-1) never sees it), its own session, PID 1's root,
 * working directory, limits and signal dispositions (handled ones reset,
 * as at execve), the uid, gid and groups asked for (root's capabilities
 * for uid 0, none for anyone else, as init's cred_init gives).
 *
 * Slot fields written by the receive handler are read by process context
 * with interrupts off (the syscall rule, sched.h): no lock of their own.
 * The process's fds 0-2 are exec_stream.c's files (one terminal with -t).
 */
#include "init/exec.h"
#include "init/exec_internal.h"
#include "core/console.h"
#include "core/cred.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/sched.h"
#include "core/uaccess.h"
#include "core/vm.h"
#include "core/waitq.h"
#include "exec/exec.h"
#include "fs/vfs.h"
#include "linux/process.h"
#include "linux/signal.h"
#include "linux/syscall.h"
#include "linux/uapi.h"
#include <lib/errno.h>

#define EXEC_SLOTS 8 /* processes the host runs at once (bounds memory) */
/* Where a name without '/' is looked for when the request sets no PATH:
 * runc's default (libcontainer's defaultPath). */
#define EXEC_PATH_DEFAULT "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static struct exec_slot slots[EXEC_SLOTS];
static struct thread *exec_thread; /* starts and finishes processes */
static bool exec_open;		   /* the boot has mounted what PID 1 sees */

/* The request as parsed: pointers into a slot's req. */
struct exec_req {
	struct monos_chan_exec h;
	const uint8_t *groups; /* h.ngroups little-endian uint32_t */
	const char *cwd, *argv, *env;
	char *envp; /* the environment the process gets (kmalloc'ed) */
	size_t envp_len;
};

static struct exec_slot *slot_of(unsigned id)
{
	for (size_t i = 0; i < EXEC_SLOTS; i++)
		if (slots[i].state != SLOT_FREE && slots[i].id == id)
			return &slots[i];
	return NULL;
}

/* The stream's last frame: how it ended (or why it never started). */
static void send_exit(uint8_t id, const struct monos_chan_exit *e)
{
	uint8_t b[1 + sizeof(*e)];

	b[0] = id;
	memcpy(b + 1, e, sizeof(*e));
	console_write(MONOS_CHAN_XEXIT, b, sizeof(b));
}

static void send_exec_error(uint8_t id, int err, uint8_t stage)
{
	struct monos_chan_exit e = { .kind = MONOS_EXIT_EXEC, .signo = stage };

	e.status = (uint8_t)-err;
	send_exit(id, &e);
}

void exec_slot_release(struct exec_slot *s)
{
	exec_stream_tty_free(s);
	kfree(s->in);
	*s = (struct exec_slot){ .wq = s->wq };
}

/* ---- the request ---- */

/* A list of `len` bytes that is empty (when `may_be_empty`) or ends with
 * a NUL. */
static bool list_ok(const char *p, size_t len, bool may_be_empty)
{
	return len ? p[len - 1] == 0 : may_be_empty;
}

/* Check the request's sizes against its `len` bytes: 0 or -EINVAL. */
static long parse_req(const uint8_t *b, size_t len, struct exec_req *q)
{
	size_t need;

	if (len < sizeof(q->h))
		return -EINVAL;
	memcpy(&q->h, b, sizeof(q->h));
	need = sizeof(q->h) + (size_t)q->h.ngroups * 4 + q->h.cwd_len + q->h.argv_len +
	       q->h.env_len;
	if (need != len)
		return -EINVAL;
	q->groups = b + sizeof(q->h);
	q->cwd = (const char *)q->groups + (size_t)q->h.ngroups * 4;
	q->argv = q->cwd + q->h.cwd_len;
	q->env = q->argv + q->h.argv_len;
	if (!list_ok(q->cwd, q->h.cwd_len, true) ||
	    memchr(q->cwd, 0, q->h.cwd_len ? q->h.cwd_len - 1 : 0) ||
	    !list_ok(q->argv, q->h.argv_len, false) || q->argv[0] == 0 ||
	    !list_ok(q->env, q->h.env_len, true))
		return -EINVAL;
	return 0;
}

/* The credentials asked for, from `base` (PID 1's): NULL when out of
 * memory. */
static struct cred *req_cred(const struct exec_req *q, const struct cred *base)
{
	struct cred *c = cred_dup(base);
	uint32_t *g = q->h.ngroups ? kmalloc(q->h.ngroups * sizeof(*g)) : NULL;

	if (!(q->h.flags & MONOS_EXEC_USER)) {
		kfree(g);
		return c;
	}

	if (!c || (q->h.ngroups && !g)) {
		if (c)
			cred_free(c);
		kfree(g);
		return NULL;
	}
	for (unsigned i = 0; i < q->h.ngroups; i++) { /* ascending, as Linux keeps them */
		uint32_t v;
		unsigned j = i;
		memcpy(&v, q->groups + 4 * i, 4);
		for (; j && g[j - 1] > v; j--)
			g[j] = g[j - 1];
		g[j] = v;
	}
	kfree(c->groups);
	c->groups = g;
	c->ngroups = q->h.ngroups;
	c->uid = c->euid = c->suid = c->fsuid = q->h.uid;
	c->gid = c->egid = c->sgid = c->fsgid = q->h.gid;
	c->cap_prm = c->cap_eff = q->h.uid == 0 ? CAP_FULL_SET : 0;
	c->cap_inh = c->cap_amb = 0;
	return c;
}

/* The value of NAME= in the NUL-separated `env`, or NULL. */
static const char *env_get(const char *env, size_t len, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < len; i += strlen(env + i) + 1)
		if (!strncmp(env + i, name, nl) && env[i + nl] == '=')
			return env + i + nl + 1;
	return NULL;
}

/* Whether the NUL-separated `env` (`len` bytes) has an entry named as
 * `entry`'s (up to its '='). */
static bool env_has_name(const char *env, size_t len, const char *entry)
{
	size_t nl = strcspn(entry, "=");

	for (size_t i = 0; i < len; i += strlen(env + i) + 1)
		if (!strncmp(env + i, entry, nl) && (env[i + nl] == '=' || !env[i + nl]))
			return true;
	return false;
}

/* q->envp: the program's environment (per-run "envp") less the names the
 * request sets, then the request's: 0 or -ENOMEM. */
static long merge_env(struct exec_req *q)
{
	const uint8_t *base;
	size_t blen = 0, at = 0;

	if (vfs_runfile("envp", &base, &blen) || (blen && base[blen - 1]))
		blen = 0; /* none, or malformed: the request's alone */
	if (!(q->envp = kmalloc(blen + q->h.env_len + 1)))
		return -ENOMEM;
	for (size_t i = 0; i < blen;) {
		const char *e = (const char *)base + i;
		size_t el = strlen(e) + 1;
		if (!env_has_name(q->env, q->h.env_len, e)) {
			memcpy(q->envp + at, e, el);
			at += el;
		}
		i += el;
	}
	memcpy(q->envp + at, q->env, q->h.env_len);
	q->envp_len = at + q->h.env_len;
	return 0;
}

/*
 * Load argv[0] into the current thread's mm (the caller's new one), as
 * execvp finds it: a name with '/' as it is, else each directory of the
 * request's PATH in turn until one holds it.  `path` (PATH_MAX bytes) gets
 * the file's path.  0 or -errno.
 */
static long load_program(const struct exec_req *q, char *path, struct regs *r)
{
	const char *name = q->argv, *dirs, *why = "";
	size_t nlen = strlen(name);
	long err = -ENOENT;

	if (strchr(name, '/')) {
		if (nlen >= PATH_MAX)
			return -ENAMETOOLONG;
		memcpy(path, name, nlen + 1);
		return exec_load(path, NULL, q->argv, q->h.argv_len, q->envp, q->envp_len, r, &why);
	}
	if (!(dirs = env_get(q->envp, q->envp_len, "PATH")))
		dirs = EXEC_PATH_DEFAULT;
	while (err == -ENOENT || err == -ENOTDIR || err == -ENAMETOOLONG) {
		size_t dl = strcspn(dirs, ":");
		if (dl + 1 + nlen < PATH_MAX) {
			memcpy(path, dirs, dl);
			path[dl] = '/';
			memcpy(path + dl + 1, name, nlen + 1);
			err = exec_load(path, NULL, q->argv, q->h.argv_len, q->envp, q->envp_len, r,
					&why);
		}
		if (!dirs[dl])
			break;
		dirs += dl + 1;
	}
	return err == -ENOTDIR || err == -ENAMETOOLONG ? -ENOENT : err;
}

/* What the new process's first thread takes over from the exec thread's
 * borrowed context, and what it is given. */
struct exec_ctx {
	struct mm *mm;
	struct fdtable *files;
	struct fs_context *fs;
	struct cred *cred;
	struct sighand *sighand;
};

static void ctx_put(struct exec_ctx *x)
{
	if (x->mm)
		mm_put(x->mm);
	if (x->files)
		fdt_put(x->files);
	if (x->fs)
		vfs_fs_put(x->fs);
	if (x->cred)
		cred_free(x->cred);
	if (x->sighand)
		signal_sighand_put(x->sighand);
}

/* Build the context of slot `s`'s request from PID 1's main thread `init`
 * and load the program into it, working as the new process would (its
 * cwd, its credentials).  0, or -errno with *stage (MONOS_EXEC_STAGE_*). */
static long prepare(struct exec_slot *s, struct exec_req *q, struct thread *init,
		    struct exec_ctx *x, char *path, struct regs *r, uint8_t *stage)
{
	struct thread *cur = sched_current();
	struct inode *dir;
	long err;

	*stage = MONOS_EXEC_STAGE_SETUP;
	x->cred = req_cred(q, init->cred);
	x->fs = vfs_fs_dup(init->fs);
	x->files = fdt_create();
	x->mm = mm_create();
	x->sighand = signal_sighand_dup(init->sighand);
	if (!x->cred || !x->fs || !x->files || !x->mm || !x->sighand)
		return -ENOMEM;
	signal_exec_reset(x->sighand);
	if (q->h.flags & ~(MONOS_EXEC_STDIN | MONOS_EXEC_USER | MONOS_EXEC_TTY))
		return -EINVAL;
	if ((q->h.flags & MONOS_EXEC_TTY) && (err = exec_stream_tty(s, q->h.rows, q->h.cols)))
		return err;
	if ((err = merge_env(q)))
		return err;
	if (!(q->h.flags & MONOS_EXEC_STDIN) || s->tty)
		s->in_eof = true; /* no -i: fd 0 is at its end, as /dev/null */
	else if (!(s->in = kmalloc(EXEC_STDIN_SIZE)))
		return -ENOMEM;
	cur->cred = x->cred;
	cur->fs = x->fs;
	cur->files = x->files;
	if ((err = exec_stream_install(s)))
		return err;
	if (q->h.cwd_len) {
		*stage = MONOS_EXEC_STAGE_CWD;
		dir = vfs_lookup(vfs_root(), q->cwd, true);
		if (IS_ERR(dir))
			return PTR_ERR(dir);
		if (!S_ISDIR(dir->mode))
			return -ENOTDIR;
		vfs_set_cwd(dir);
	}
	*stage = MONOS_EXEC_STAGE_PROGRAM;
	cur->mm = x->mm;
	mm_switch(x->mm);
	err = load_program(q, path, r);
	cur->mm = mm_kernel();
	mm_switch(cur->mm);
	return err;
}

/* Make the loaded context `x` a process of its own: 0 or -ENOMEM. */
static long spawn(struct exec_slot *s, struct exec_ctx *x, const char *path, struct regs *r)
{
	struct process *p = process_create(process_init_proc());
	struct thread *t;
	const char *base = strrchr(path, '/');
	uint8_t started[5];

	sched_fpu_reset(); /* the new thread takes this thread's: an execve's */
	if (!(t = p ? sched_spawn(r, 0) : NULL)) {
		if (p)
			process_abort(p);
		return -ENOMEM;
	}
	t->mm = x->mm;
	t->files = x->files;
	t->fs = x->fs;
	t->cred = x->cred;
	t->sighand = x->sighand;
	if (!(t->sig = signal_state_alloc()))
		boot_out_of_memory("an exec's thread"); /* a spawned thread cannot be taken back */
	*x = (struct exec_ctx){ 0 };
	p->exit_signal = 0;
	p->parent = NULL;
	memset(p->comm, 0, sizeof(p->comm));
	base = base ? base + 1 : path;
	memcpy(p->comm, base, MIN(strlen(base), sizeof(p->comm) - 1));
	kfree(p->exe);
	p->exe = kstrdup(path);
	p->did_exec = true;
	process_start(p, t);
	p->pgid = p->sid = p->pid;
	if (s->tty) /* -t: its controlling terminal, as a login's */
		exec_stream_tty_own(s, p->sid, p->pgid);
	s->p = p;
	s->state = SLOT_RUNNING;
	started[0] = s->id;
	memcpy(started + 1, &p->pid, 4);
	console_write(MONOS_CHAN_XSTART, started, sizeof(started));
	return 0;
}

/* Start slot `s`'s request (the exec thread): RUNNING, or an XEXIT and
 * FREE (DRAINING while its files go). */
static void start(struct exec_slot *s)
{
	struct thread *cur = sched_current(), *init = process_main_thread(process_init_proc());
	struct exec_ctx x = { 0 };
	struct exec_req q = { 0 };
	struct regs r;
	uint8_t stage = MONOS_EXEC_STAGE_SETUP;
	char *path = kmalloc(PATH_MAX);
	long err = -ENOMEM;

	if (!init)
		err = -ESRCH; /* the program is ending */
	else if (path && !(err = parse_req(s->req, s->req_len, &q)))
		err = prepare(s, &q, init, &x, path, &r, &stage) ?: spawn(s, &x, path, &r);
	cur->cred = NULL;
	cur->fs = NULL;
	cur->files = NULL;
	ctx_put(&x); /* what a failure left; closing the files drops s->files */
	kfree(path);
	kfree(q.envp);
	if (!err)
		return;
	send_exec_error(s->id, (int)err, stage);
	s->state = SLOT_DRAINING;
	if (!s->files)
		exec_slot_release(s);
}

/* Slot `s`'s process ended (the exec thread): its XEXIT, then reap it. */
static void finish(struct exec_slot *s)
{
	struct monos_chan_exit e;

	process_exit_report(s->p, &e);
	send_exit(s->id, &e);
	process_reap(s->p);
	s->p = NULL;
	s->in_eof = true;
	s->state = SLOT_DRAINING;
	if (!s->files)
		exec_slot_release(s);
}

static bool has_work(void *arg __unused)
{
	for (size_t i = 0; i < EXEC_SLOTS; i++)
		if ((slots[i].state == SLOT_PENDING && exec_open) || slots[i].state == SLOT_ENDED)
			return true;
	return false;
}

static void exec_main(void *arg __unused)
{
	for (;;) {
		sched_wait(has_work, NULL, 0);
		for (size_t i = 0; i < EXEC_SLOTS; i++) {
			if (slots[i].state == SLOT_PENDING && exec_open)
				start(&slots[i]);
			else if (slots[i].state == SLOT_ENDED)
				finish(&slots[i]);
		}
	}
}

/* ---- the host's frames (interrupt context) ---- */

static void on_exec(const uint8_t *b, size_t len)
{
	struct exec_slot *s = NULL;

	if (!b[0] || slot_of(b[0])) {
		send_exec_error(b[0], -EBUSY, MONOS_EXEC_STAGE_SETUP);
		return;
	}
	for (size_t i = 0; i < EXEC_SLOTS && !s; i++)
		if (slots[i].state == SLOT_FREE)
			s = &slots[i];
	if (!s) {
		send_exec_error(b[0], -EAGAIN, MONOS_EXEC_STAGE_SETUP);
		return;
	}
	s->id = b[0];
	memcpy(s->req, b, len);
	s->req_len = len;
	s->state = SLOT_PENDING;
	sched_wake(exec_thread);
}

static void on_stream_frame(unsigned type, const uint8_t *p, size_t len)
{
	struct exec_slot *s;

	if (!len)
		return; /* no stream id: garbage */
	if (type == MONOS_CHAN_EXEC) {
		on_exec(p, len);
		return;
	}
	if (!(s = slot_of(p[0])) || s->state != SLOT_RUNNING)
		return; /* a stream not started (the host waits for XSTART) or ended */
	if (type == MONOS_CHAN_XSTDIN) {
		exec_stream_input(s, p + 1, len - 1);
	} else if (type == MONOS_CHAN_XSTDIN_EOF) {
		s->in_eof = true;
		s->in_gen++;
	} else if (type == MONOS_CHAN_XSIGNAL && len == 2 && s->p && p[1] >= 1 && p[1] <= NSIG) {
		struct ksiginfo info = { .signo = p[1], .code = SI_USER };
		signal_send_process(s->p, &info);
	}
	waitq_wake(&s->wq);
}

/* A process with no parent ended (process.c): one of ours? */
static void on_orphan_end(struct process *p)
{
	for (size_t i = 0; i < EXEC_SLOTS; i++)
		if (slots[i].state == SLOT_RUNNING && slots[i].p == p) {
			slots[i].state = SLOT_ENDED;
			sched_wake(exec_thread);
		}
}

void init_exec_open(void)
{
	exec_open = true;
	if (exec_thread)
		sched_wake(exec_thread);
}

void init_exec_start(void)
{
	exec_stream_init();
	for (size_t i = 0; i < EXEC_SLOTS; i++)
		waitq_init(&slots[i].wq);
	if (!(exec_thread = sched_spawn_kernel(exec_main, NULL)))
		boot_out_of_memory("the exec thread");
	process_set_orphan_end_hook(on_orphan_end);
	console_set_stream_handler(on_stream_frame);
}
