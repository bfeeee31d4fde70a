/*
 * `monos export` and `monos update` (issue 11): bootable GPT disks that GRUB
 * 2 boots without the CLI, with two image slots for A/B updates.  Shared by
 * cli/cmd_export.c, cli/cmd_update.c and cli/export_*.c.
 *
 * The layout (512-byte sectors), made without root or loop devices:
 *   p1 "bios"    BIOS boot partition: GRUB's core.img (i386-pc), its first
 *                sector named by boot.img in the protective MBR
 *   p2 "esp"     EFI system partition, FAT: /EFI/BOOT/BOOTX64.EFI (GRUB,
 *                x86_64-efi), /grub/grub.cfg and /grub/grubenv
 *   p3 "monos-a" slot A, ext2: /monos/kernel, /monos/image.cpio (the
 *                image's tree and its per-run archive, concatenated) and
 *                /monos/slot.cfg (its restart policy and grace period)
 *   p4 "monos-b" slot B, the same, empty until `monos update`
 * GRUB's environment block (/grub/grubenv, 1024 bytes) holds the A/B state:
 *   monos_slot     the good slot, a or b (absent: a)
 *   monos_try      a slot `monos update` wrote, to be tried once
 *   monos_pending  1 until GRUB has booted monos_try once
 *   monos_abandoned the last slot given up, and why (monos_why)
 *   and more: lib/bootslot.h lists them all
 * grub.cfg (export_grub.c) boots the slot to try, once, else the good one;
 * the kernel rewrites the block in place when the tried slot proves good.
 */
#ifndef CLI_EXPORT_H
#define CLI_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

#define EXPORT_SECTOR	    512
#define EXPORT_ALIGN	    2048 /* sectors: partitions on 1 MiB boundaries */
#define EXPORT_BIOS_LBA	    2048
#define EXPORT_BIOS_SECTORS 2048	  /* 1 MiB: core.img is about 160 KiB */
#define EXPORT_ESP_SECTORS  (32768)	  /* 16 MiB, FAT16 */
#define EXPORT_SLOT_MIN	    (64ull << 20) /* bytes */
#define EXPORT_GPT_TAIL	    2048	  /* sectors kept after the last partition */
#define EXPORT_GRUBENV_SIZE 1024	  /* grub-editenv's block */
#define EXPORT_SLOT_LABEL_A "monos-a"
#define EXPORT_SLOT_LABEL_B "monos-b"

/* Where things are on an exported disk, in sectors. */
struct export_layout {
	uint64_t esp_lba, slot_lba[2], slot_sectors, total_sectors;
	uint64_t grubenv_off; /* byte offset of the grubenv block on the disk */
};

/* What goes into one slot and how the kernel is to be started there. */
struct export_slot {
	const char *kernel; /* host paths */
	const char *initrd;
	const char *restart; /* no, on-failure or always */
	unsigned grace_s;    /* seconds of health before a tried slot is good */
	bool health;	     /* the image has a health check: only health marks it good */
	char image[160];     /* "NAME@sha256:HEX" for the grubenv block (lib/bootslot.h) */
};

/* export_disk.c */

/* export_layout_for - the layout of a disk whose slots hold `payload`
 * bytes (kernel and image) with room for an update to grow. */
void export_layout_for(struct export_layout *l, uint64_t payload);
/*
 * export_disk_write - a raw disk at `path` (created) with `slot` in slot A,
 * under the private directory `tmp`.  0, or -1 after one error line.
 */
int export_disk_write(const char *path, const char *tmp, const struct export_slot *slot);
/*
 * export_slot_image - an ext2 file at `out` of `sectors` sectors holding
 * `slot`'s kernel and initrd, labelled `label`, made under `tmp`.  0, or -1
 * after one error line.
 */
int export_slot_image(const char *out, const char *tmp, const struct export_slot *slot,
		      uint64_t sectors, const char *label);
/* export_run - run a tool (argv[0] looked for on PATH, /usr/sbin and
 * /sbin), its stdout to /dev/null; `pkg` is the Debian package to name if
 * it is missing.  0, or -1 after one error line. */
int export_run(const char *const *argv, const char *pkg);
/* export_copy_into - copy the file `src` into `fd` at byte offset `off`, its
 * zero runs (64 KiB each) as holes punched: the disk stays sparse. */
int export_copy_into(int fd, uint64_t off, const char *src);

/* export_grub.c */

/* export_grub_cfg - grub.cfg's text for a disk whose grubenv block is at
 * byte `grubenv_off`; malloc'd or NULL. */
char *export_grub_cfg(uint64_t grubenv_off);
/* export_slot_cfg - the slot's /monos/slot.cfg, which grub.cfg sources: its
 * restart policy, grace period and whether it has a health check; malloc'd
 * or NULL. */
char *export_slot_cfg(const struct export_slot *slot);
/* export_bios_boot - boot.img into the disk's first sector (keeping the
 * protective MBR's partition table) and core.img into the BIOS boot
 * partition with its block list, as grub-bios-setup would.  0 or -1. */
int export_bios_boot(int fd, const char *core_img);

/* cmd_export.c */

#define EXPORT_GRACE_DEFAULT 10 /* seconds a tried slot must stay well */

/* An image packed for a slot: the kernel, the archives, the options. */
struct export_pack {
	char kernel[4096], initrd[4096 + 16];
	struct run_options o;
	struct store_run sr;
	struct export_slot slot;
};
/* export_pack - pack IMAGE (of the store) into `tmp` as a slot boots it:
 * 0, or -1 after one error line.  export_pack_free in both cases. */
int export_pack(struct export_pack *p, const char *image, const char *tmp, unsigned grace_s);
void export_pack_free(struct export_pack *p);
/* export_tmpdir - a private temporary directory into `out`; 0 or -1.
 * export_tmpdir_remove - it and everything in it, gone. */
int export_tmpdir(char *out, size_t n);
void export_tmpdir_remove(const char *dir);

/* export_env.c: a written disk's partitions and grubenv block. */
struct export_env {
	int fd;
	uint64_t first[3], last[3]; /* esp, monos-a, monos-b: sectors */
	uint64_t env_off;	    /* the grubenv block's byte offset */
	char env[EXPORT_GRUBENV_SIZE];
};
/* export_env_open - open `path` (open(2) `flags`), find its partitions and
 * its valid grubenv block: 0, or -1 after one error line (a qcow2 disk, no
 * such GPT, a missing or damaged block; nothing left open). */
int export_env_open(struct export_env *d, const char *path, int flags);
/* export_env_unused - 0, or -1 after one error line while QEMU holds the
 * disk file `fd` open (its image locks are OFD locks): a running instance. */
int export_env_unused(int fd, const char *path);
/* export_is_disk - whether `path` is a regular file with a GPT (or a
 * qcow2 file): what `monos inspect` takes for a disk. */
bool export_is_disk(const char *path);

/* export_inspect.c: `monos inspect DISK...`, JSON. */
int export_inspect_main(int argc, char **argv);

/* cmd_export.c, cmd_update.c */
int cmd_export_main(int argc, char **argv);
int cmd_update_main(int argc, char **argv);

#endif
