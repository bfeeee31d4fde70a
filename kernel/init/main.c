/*
 * The boot sequence: the one file that knows every subsystem.  The PVH entry
 * (arch/x86_64/entry.S) calls init_main() on the boot stack, in the higher
 * half, interrupts off; it never returns.
 */
#include "init/main.h"
#include "init/agent.h"
#include "init/exec.h"
#include "init/cloudinit.h"
#include "init/standalone.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/multiboot2.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/pvh.h"
#include "core/console.h"
#include "core/cred.h"
#include "core/fault_inject.h"
#include "core/heap.h"
#include "core/kernel.h"
#include "core/mem.h"
#include "core/random.h"
#include "core/sched.h"
#include "core/time.h"
#include "core/uts.h"
#include "core/vm.h"
#include "drivers/blk.h"
#include "drivers/virtio.h"
#include "drivers/virtio_9p.h"
#include "exec/exec.h"
#include "fs/mount.h"
#include "fs/vfs.h"
#include "linux/signal.h"
#include "linux/process.h"
#include "linux/syscall.h"
#include "net/lwip/net.h"
#include "net/procnet.h"
#include <lib/cmdline.h>
#include <monos/bootinfo.h>

#define LOW_MEMORY_END 0x100000ul /* below 1 MiB: BIOS areas, never handed out */
#define MAX_MEMMAP     64

extern char __kernel_end[];

static const struct pvh_start_info *start_info;
static const char *cmdline = "";
static struct mem_range initrd;

static void init_memory(void)
{
	struct mem_range ram[MAX_MEMMAP], reserved[4];
	const struct pvh_memmap_entry *map = phys_to_virt(start_info->memmap_paddr);
	unsigned nram = 0, nres = 0;

	if (start_info->version < 1 || !start_info->memmap_entries)
		panic("boot: the loader gave no memory map (PVH start info v%u)",
		      start_info->version);
	for (unsigned i = 0; i < start_info->memmap_entries && nram < MAX_MEMMAP; i++)
		if (map[i].type == PVH_MEMMAP_RAM)
			ram[nram++] = (struct mem_range){ map[i].addr, map[i].addr + map[i].size };
	/* Low memory, then the kernel image from its load address (the boot
	 * code and boot page tables sit below __kernel_start). */
	reserved[nres++] = (struct mem_range){ 0, LOW_MEMORY_END };
	reserved[nres++] = (struct mem_range){ LOW_MEMORY_END,
					       ALIGN_UP(virt_to_phys(__kernel_end), PAGE_SIZE) };
	if (start_info->nr_modules) {
		const struct pvh_module *m = phys_to_virt(start_info->modlist_paddr);
		initrd = (struct mem_range){ m->paddr, m->paddr + m->size };
		reserved[nres++] = (struct mem_range){ ALIGN_DOWN(initrd.start, PAGE_SIZE),
						       ALIGN_UP(initrd.end, PAGE_SIZE) };
	}
	mem_init(ram, nram, reserved, nres);
	paging_init();
	vm_init();
}

int vfs_runfile(const char *name, const uint8_t **data, size_t *size);

/* A per-run entry (bootinfo.h) as a string, or NULL if absent. */
static const char *runfile_str(const char *name, size_t *len)
{
	const uint8_t *data;
	return vfs_runfile(name, &data, len) ? NULL : (const char *)data;
}

/* The program's first thread, in the first address space, with a new
 * descriptor table and place in the tree: current from here on, so the
 * boot's lookups have a working directory and the console's descriptors
 * go into its table. */
static void init_first_thread(void)
{
	struct thread *t = sched_create_main();

	t->mm = mm_current();
	t->files = fdt_create();
	t->fs = vfs_fs_create();
	t->cred = cred_first();
	t->sighand = signal_sighand_first();
	process_boot(t);
	if (!t->files || !t->fs)
		boot_out_of_memory("the first thread's files");
}

/* Time, seed, terminals: what travels in the per-run archive. */
static void init_per_run(void)
{
	const uint8_t *data;
	size_t len;
	bool tty[3] = { false, false, false };
	struct monos_run_time t;
	uint64_t host_ns;
	bool have_time = !vfs_runfile("time", &data, &len) && len == sizeof(t);

	if (have_time) {
		memcpy(&t, data, sizeof(t));
		host_ns = t.sec * NSEC_PER_SEC + t.nsec;
	}
	time_init_realtime(have_time ? &host_ns : NULL);
	if (!vfs_runfile("seed", &data, &len) && len == MONOS_RUN_SEED_LEN)
		random_init(data, len);
	else
		random_init(NULL, 0);
	if (!vfs_runfile("tty", &data, &len) && len == 3)
		for (int i = 0; i < 3; i++)
			tty[i] = data[i] == '1';
	console_files_init(tty);
}

#define NOBODY 65534 /* the ids a malformed user entry leaves (Debian's nobody) */

static bool user_bad; /* the per-run user entry is malformed: nothing starts */

/* Who the program runs as (monos run -u): root when the entry is absent.
 * A malformed entry never means root: the ids become nobody's, and
 * start_program refuses to start. */
static void init_user(void)
{
	size_t len;
	const char *user = runfile_str("user", &len);
	uint32_t ids[2] = { 0, 0 }, *groups = NULL;
	unsigned n = 0, max = 1;
	int err = 0;

	for (size_t i = 0; user && i < len; i++)
		max += user[i] == ',';
	if (user && !(groups = kmalloc(max * sizeof(*groups))))
		boot_out_of_memory("the credentials");
	if (user)
		err = parse_user_ids(user, len, ids, groups, max, &n);

	if (err) { /* -EINVAL: -ERANGE cannot be, max counts the commas */
		user_bad = true;
		ids[0] = ids[1] = NOBODY;
		n = 0;
	}
	if (cred_init(ids[0], ids[1], groups, n))
		boot_out_of_memory("the credentials");
	kfree(groups);
}

/* The volumes the per-run data names (`monos run --volume`, -v, and
 * --rootfs's share as the root itself: fs/mount_boot.c), mounted before
 * the agent and the program start: 0 or the first error, logged. */
static long init_volumes(void)
{
	size_t len;
	const char *spec = runfile_str("volumes", &len);

	return spec ? mount_volumes(spec, len) : 0;
}

/* `monos run --hostname`: the per-run "hostname" entry, over cloud-init's
 * (the command line wins, design.md contract 22). */
static void init_hostname(void)
{
	size_t len;
	const char *name = runfile_str("hostname", &len);

	if (!name)
		return;
	if (!len || len > UTS_NAME_MAX || memchr(name, 0, len)) {
		klog("monos: the per-run %s entry is not 1 to %d bytes: ignored\n",
		     MONOS_RUN_HOSTNAME, UTS_NAME_MAX);
		return;
	}
	memcpy(uts_nodename, name, len);
	uts_nodename[len] = 0;
}

/* `monos run --ulimit` (an OCI config's process.rlimits): the per-run
 * "rlimits" entry, set on the first process before its exec.  A malformed
 * line stops the start (runc fails the container on a limit it cannot
 * set): -EINVAL, logged. */
static long init_rlimits(void)
{
	size_t len, start = 0;
	const char *text = runfile_str("rlimits", &len);

	for (size_t i = 0; text && i < len; i++) {
		unsigned res;
		uint64_t soft, hard;

		if (text[i] != '\n')
			continue;
		if (parse_rlimit(text + start, i - start, &res, &soft, &hard) ||
		    misc_rlimit_boot(res, soft, hard)) {
			klog("monos: the per-run %s entry has a bad line: %.*s\n",
			     MONOS_RUN_RLIMITS, (int)(i - start), text + start);
			return -EINVAL;
		}
		start = i + 1;
	}
	return 0;
}

/* Start the program named by the per-run data; returns only on failure. */
static long start_program(void)
{
	size_t exe_len, argv_len, envp_len = 0, cwd_len;
	const char *exe = runfile_str("exe", &exe_len), *argv = runfile_str("argv", &argv_len);
	const char *envp = runfile_str("envp", &envp_len), *cwd = runfile_str("cwd", &cwd_len);
	char path[PATH_MAX];
	struct inode *prog;
	struct regs *r;
	const char *why;
	long err;

	if (user_bad) {
		klog("monos: the per-run %s entry is not UID:GID[:GROUPS]\n", MONOS_RUN_USER);
		return -EINVAL;
	}
	if (!exe || !argv || !exe_len || exe_len >= sizeof(path) || !argv_len) {
		klog("monos: no program to run: the image has no %s or %s entry\n", MONOS_RUN_EXE,
		     MONOS_RUN_ARGV);
		return -ENOENT;
	}
	if (cwd && cwd_len < sizeof(path)) {
		memcpy(path, cwd, cwd_len);
		path[cwd_len] = 0;
		struct inode *dir = vfs_lookup(vfs_root(), path, true);
		if (!IS_ERR(dir) && S_ISDIR(dir->mode))
			vfs_set_cwd(dir);
		else if (dir == ERR_PTR(-EACCES)) /* -u: the host's cwd is not the user's */
			klog("monos: the user may not enter %s: the program starts in /\n", path);
	}
	memcpy(path, exe, exe_len);
	path[exe_len] = 0;
	/* The first entry to ring 3 is an IRETQ from a frame at the top of
	 * the thread's kernel stack, as if returning from a trap. */
	r = (struct regs *)(sched_current()->kstack_top - sizeof(*r));
	err = exec_load(path, NULL, argv, argv_len, envp ? envp : "", envp ? envp_len : 0, r, &why);
	if (err) {
		klog("monos: cannot run %s: %s (%s)\n", path, why, errno_name((int)-err));
		return err;
	}
	prog = vfs_lookup(vfs_cwd(), path, true);
	if (!IS_ERR(prog))
		process_boot_name(prog);
	if (cmdline_flag(cmdline, "monos.verbose"))
		klog("monos: starting the program: tsc %lu, halted %lu tsc ticks (tsc %lu kHz)\n",
		     rdtsc(), time_halted_tsc(), time_tsc_khz());
	trap_enter_user(r);
}

void init_main(uint32_t start_info_phys)
{
	struct cloudinit *seed;
	long err;

	start_info = phys_to_virt(start_info_phys);
	if (start_info->magic == PVH_START_MAGIC && start_info->cmdline_paddr)
		cmdline = phys_to_virt(start_info->cmdline_paddr);
	console_init(cmdline_flag(cmdline, "monos.channel"));
	console_set_verbose(cmdline_flag(cmdline, "monos.verbose"));
	fault_inject_init(cmdline);
	if (start_info->magic != PVH_START_MAGIC)
		panic("boot: no PVH start info (magic %#x)", start_info->magic);
	cpu_init();
	idt_init();
	init_memory();
	if (multiboot2_booted) /* GRUB, from a disk `monos export` wrote */
		standalone_init(cmdline, start_info->rsdp_paddr);
	apic_init();
	time_init();
	init_first_thread();
	if (cmdline_flag(cmdline, "monos.verbose"))
		klog("monos: tsc %lu kHz, %lu MiB RAM, initrd %lu bytes\n", time_tsc_khz(),
		     mem_total_frames() >> 8, initrd.end - initrd.start);
	/* Devices: drivers register, then the transports probe what they find. */
	virtio_net_init();
	virtio_blk_init();
	virtio_9p_init();
	virtio_mmio_init(cmdline);
	virtio_pci_init();
	if (cmdline_flag(cmdline, "monos.nettest"))
		virtio_net_selftest();
	if (cmdline_flag(cmdline, "monos.blktest"))
		blk_selftest();
	if (initrd.end == initrd.start)
		panic("boot: no image (the loader passed no initrd)");
	err = vfs_init_image(phys_to_virt(initrd.start), initrd.end - initrd.start);
	if (err == -ENOMEM)
		boot_out_of_memory("the image's directory tree");
	if (err < 0)
		panic("boot: the image is not a valid cpio archive");
	init_user(); /* /dev's terminal nodes belong to the user */
	devfs_init();
	vfs_init_mounts();
	ext4fs_init();
	v9fs_init();
	net_procfs_init();
	init_per_run();
	seed = cloudinit_boot_read(); /* a NoCloud seed among the disks */
	/* Needs the heap, the device and the random seed.  Without a device
	 * lwIP starts with the first AF_INET socket (net_init_loopback). */
	if (netdev_present() || cmdline_find(cmdline, "monos.nettest", NULL))
		net_init(cmdline);
	/* cloud-init's configuration over the image's, under the command
	 * line's (design.md contract 22). */
	seed = cloudinit_boot_url(cmdline, seed); /* ds=nocloud;s=http://... */
	if (seed) {
		cloudinit_boot_net(seed, cmdline);
		cloudinit_boot_apply(seed);
	}
	init_hostname();
	syscall_set_trace(cmdline_flag(cmdline, "monos.trace"));
	process_init();
	if (console_is_channel()) /* monos exec: taken from the host's READY on */
		init_exec_start();
	console_start_input();
	err = init_volumes() ?: init_rlimits();
	if (multiboot2_booted)
		standalone_start(); /* a tried slot's grace period */
	if (!err) {
		init_agent_start(cmdline); /* beside the program, when asked for */
		init_exec_open();	   /* the program's tree is all there */
		err = start_program();
	}
	process_exec_failed((int)-err);
}
