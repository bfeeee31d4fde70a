/*
 * GRUB on an exported disk (export.h): grub.cfg, the A/B choice it makes
 * from the grubenv block, and the BIOS boot code put in place by hand.
 *
 * The choice, each boot: a slot to try (monos_try) with monos_pending=1 is
 * booted once, pending cleared first, with monos.trial=1 on the kernel's
 * command line; the kernel rewrites the block when the slot has proved good
 * (monos_slot becomes it, monos_try is cleared) or has failed (monos_try
 * cleared, monos_abandoned and monos_why say which and why:
 * init/standalone.c, lib/bootslot.h).  Found still set at the next boot,
 * the try ended without a word from the kernel (a panic, a hang): GRUB
 * clears it, records it as abandoned (not-marked-good) and boots the good
 * slot, which stays good: a bad update never loops.  The slot booted is
 * saved as monos_booted when it changes.  A missing or damaged block reads
 * as empty: slot A.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "export.h"

/* GRUB 2's i386-pc boot.img and diskboot.img (grub-core/boot/i386/pc/
 * boot.S and diskboot.S; include/grub/i386/pc/boot.h). */
#define GRUB_BOOT_IMG		"/usr/lib/grub/i386-pc/boot.img"
#define BOOT_KERNEL_SECTOR	0x5c  /* 8 bytes: LBA of core.img's first sector */
#define BOOT_DRIVE_CHECK	0x66  /* a 2-byte jump: NOPed for a hard disk */
#define BOOT_WINDOWS_NT_MAGIC	0x1b8 /* from here to the end: the MBR's table */
#define DISKBOOT_BLOCKLIST	0x1f4 /* start (8), length (2), segment (2) */
#define GRUB_KERNEL_SEG_AFTER	0x820 /* 0x800 + one sector, in paragraphs */
#define EXPORT_CORE_MAX_SECTORS (EXPORT_BIOS_SECTORS - 1)

static const char grub_cfg[] =
	"# monos: written by 'monos export' (cli/export_grub.c)\n"
	"set timeout=0\n"
	"serial --unit=0 --speed=115200\n"
	"terminal_input serial\n"
	"terminal_output serial\n"
	"set env=($root)/grub/grubenv\n"
	"load_env --file $env monos_slot monos_try monos_pending monos_booted\n"
	"if [ \"$monos_slot\" != b ]; then set monos_slot=a; fi\n"
	"set boot_slot=$monos_slot\n"
	"set trial=0\n"
	"if [ -n \"$monos_try\" ]; then\n"
	"  if [ \"$monos_pending\" = 1 ]; then\n"
	"    set monos_pending=0\n"
	"    save_env --file $env monos_pending\n"
	"    set boot_slot=$monos_try\n"
	"    set trial=1\n"
	"    echo \"monos: trying slot $monos_try once\"\n"
	"  else\n"
	"    echo \"monos: slot $monos_try was not marked good: back to slot $monos_slot\"\n"
	"    set monos_abandoned=$monos_try\n"
	"    set monos_why=not-marked-good\n"
	"    set monos_try=\n"
	"    save_env --file $env monos_try monos_abandoned monos_why\n"
	"  fi\n"
	"fi\n"
	"if [ \"$monos_booted\" != \"$boot_slot\" ]; then\n"
	"  set monos_booted=$boot_slot\n"
	"  save_env --file $env monos_booted\n"
	"fi\n"
	"search --no-floppy --set=slotdev --label monos-$boot_slot\n"
	"set monos_restart=no\n"
	"set monos_grace=10\n"
	"set monos_health=0\n"
	"source ($slotdev)/monos/slot.cfg\n"
	"echo \"monos: booting slot $boot_slot\"\n"
	"multiboot2 ($slotdev)/monos/kernel monos.slot=$boot_slot monos.trial=$trial "
	"monos.restart=$monos_restart monos.grace=$monos_grace monos.health=$monos_health "
	"monos.grubenv=%llu monos.ip=dhcp\n"
	"module2 ($slotdev)/monos/image.cpio\n"
	"boot\n";

char *export_grub_cfg(uint64_t grubenv_off)
{
	char *text = NULL;

	if (asprintf(&text, grub_cfg, (unsigned long long)grubenv_off) < 0)
		return NULL;
	return text;
}

char *export_slot_cfg(const struct export_slot *slot)
{
	char *text = NULL;

	if (asprintf(&text,
		     "# monos: this slot's options (cli/export_grub.c)\n"
		     "set monos_restart=%s\n"
		     "set monos_grace=%u\n"
		     "set monos_health=%d\n",
		     slot->restart, slot->grace_s, slot->health) < 0)
		return NULL;
	return text;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The whole of a small file into `buf` (at most `max` bytes): its size or -1. */
static ssize_t read_small(const char *path, uint8_t *buf, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, max);

	if (fd >= 0)
		close(fd);
	return n;
}

int export_bios_boot(int fd, const char *core_img)
{
	size_t max = EXPORT_CORE_MAX_SECTORS * EXPORT_SECTOR;
	uint8_t boot[EXPORT_SECTOR], mbr[EXPORT_SECTOR], *core = calloc(1, max + 1);
	ssize_t n = core ? read_small(core_img, core, max + 1) : -1;
	uint64_t sectors = n > 0 ? ((uint64_t)n + EXPORT_SECTOR - 1) / EXPORT_SECTOR : 0;
	int rc = -1;

	if (n <= EXPORT_SECTOR || (size_t)n > max) {
		msg_error("%s: not a core.img that fits the BIOS boot partition", core_img);
		goto out;
	}
	if (read_small(GRUB_BOOT_IMG, boot, sizeof(boot)) != (ssize_t)sizeof(boot)) {
		msg_error("%s not found (install Debian's grub-pc-bin)", GRUB_BOOT_IMG);
		goto out;
	}
	if (pread(fd, mbr, sizeof(mbr), 0) != (ssize_t)sizeof(mbr))
		goto io;
	/* diskboot.img loads the rest of core.img from the sectors after it. */
	put_le(core + DISKBOOT_BLOCKLIST, EXPORT_BIOS_LBA + 1, 8);
	put_le(core + DISKBOOT_BLOCKLIST + 8, sectors - 1, 2);
	put_le(core + DISKBOOT_BLOCKLIST + 10, GRUB_KERNEL_SEG_AFTER, 2);
	put_le(boot + BOOT_KERNEL_SECTOR, EXPORT_BIOS_LBA, 8);
	boot[BOOT_DRIVE_CHECK] = boot[BOOT_DRIVE_CHECK + 1] = 0x90; /* NOP NOP */
	memcpy(boot + BOOT_WINDOWS_NT_MAGIC, mbr + BOOT_WINDOWS_NT_MAGIC,
	       sizeof(boot) - BOOT_WINDOWS_NT_MAGIC);
	if (pwrite(fd, core, sectors * EXPORT_SECTOR, EXPORT_BIOS_LBA * EXPORT_SECTOR) !=
		    (ssize_t)(sectors * EXPORT_SECTOR) ||
	    pwrite(fd, boot, sizeof(boot), 0) != (ssize_t)sizeof(boot))
		goto io;
	rc = 0;
	goto out;
io:
	msg_error("cannot write the boot code: %s", strerror(errno));
out:
	free(core);
	return rc;
}
