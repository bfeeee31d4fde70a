/*
 * The disk `monos export` writes (the layout: export.h), assembled in a
 * regular file without root or loop devices: the filesystems are made as
 * files by Debian's tools (mke2fs -d for the slots, mkfs.vfat and mtools
 * for the ESP), GRUB's images by grub-mkimage, the GPT by sgdisk on the
 * disk file itself, and everything is then written at its partition's
 * offset.  The BIOS boot code is patched by hand (export_grub.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lib/bootslot.h>

#include "cli.h"
#include "export.h"

#define EXPORT_SBIN_PATH ":/usr/sbin:/sbin" /* sgdisk, mke2fs, mkfs.vfat */
#define EXPORT_COPY_BUF	 (1u << 16)
#define GRUBENV_HEADER	 "# GRUB Environment Block\n"
#define GRUB_MODULES                                                                               \
	"part_gpt", "fat", "ext2", "normal", "configfile", "loadenv", "test", "echo",              \
		"multiboot2", "serial", "terminal", "search", "search_label", "sleep", "reboot",   \
		"halt"

int export_run(const char *const *argv, const char *pkg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		msg_error("cannot start %s: %s", argv[0], strerror(errno));
		return -1;
	}
	if (pid == 0) {
		const char *path = getenv("PATH");
		char *full = NULL;
		int null = open("/dev/null", O_WRONLY);

		if (asprintf(&full, "%s" EXPORT_SBIN_PATH, path ? path : "/usr/bin:/bin") > 0)
			setenv("PATH", full, 1);
		setenv("MTOOLS_SKIP_CHECK", "1", 1); /* mtools on a file, not a drive */
		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		msg_error("%s not found (install Debian's %s)", argv[0], pkg);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		msg_error("%s failed", argv[0]);
		return -1;
	}
	return 0;
}

/* Whether the `n` bytes at `buf` are all zero. */
static bool all_zero(const char *buf, size_t n)
{
	return !n || (!buf[0] && !memcmp(buf, buf + 1, n - 1));
}

int export_copy_into(int fd, uint64_t off, const char *src)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	char *buf = malloc(EXPORT_COPY_BUF);
	ssize_t n = -1;
	struct stat st;

	while (in >= 0 && buf && (n = read(in, buf, EXPORT_COPY_BUF)) > 0) {
		/* Zeros become a hole (reading as zeros, over old data too), so
		 * that the disk stays sparse; else they are written. */
		if (all_zero(buf, (size_t)n) &&
		    !fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, n)) {
			off += n;
			continue;
		}
		if (pwrite(fd, buf, n, (off_t)off) != n) {
			n = -1;
			break;
		}
		off += n;
	}
	/* A hole at the end leaves the file short of it. */
	if (n == 0 && (fstat(fd, &st) || (st.st_size < (off_t)off && ftruncate(fd, (off_t)off))))
		n = -1;
	if (n < 0)
		msg_error("cannot copy %s: %s", src, strerror(errno));
	if (in >= 0)
		close(in);
	free(buf);
	return n < 0 ? -1 : 0;
}

/* A new file at `path` holding `text` (malloc'd, freed here; NULL: out of
 * memory). */
static int write_text(const char *path, char *text)
{
	FILE *f = text ? fopen(path, "w") : NULL;
	int rc = !f || fputs(text, f) < 0;

	if (f && fclose(f))
		rc = 1;
	free(text);
	if (rc)
		msg_error("cannot write %s", path);
	return rc ? -1 : 0;
}

/* A new file at `dst` with `src`'s bytes. */
static int copy_file(const char *src, const char *dst)
{
	int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), rc;

	if (fd < 0) {
		msg_error("cannot create %s: %s", dst, strerror(errno));
		return -1;
	}
	rc = export_copy_into(fd, 0, src);
	if (close(fd) < 0)
		rc = -1;
	return rc;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint64_t)st.st_size;
}

void export_layout_for(struct export_layout *l, uint64_t payload)
{
	uint64_t slot = payload * 2 + (8ull << 20); /* an update may grow */

	if (slot < EXPORT_SLOT_MIN)
		slot = EXPORT_SLOT_MIN;
	l->slot_sectors = (slot / EXPORT_SECTOR + EXPORT_ALIGN - 1) / EXPORT_ALIGN * EXPORT_ALIGN;
	l->esp_lba = EXPORT_BIOS_LBA + EXPORT_BIOS_SECTORS;
	l->slot_lba[0] = l->esp_lba + EXPORT_ESP_SECTORS;
	l->slot_lba[1] = l->slot_lba[0] + l->slot_sectors;
	l->total_sectors = l->slot_lba[1] + l->slot_sectors + EXPORT_GPT_TAIL;
	l->grubenv_off = 0;
}

int export_slot_image(const char *out, const char *tmp, const struct export_slot *slot,
		      uint64_t sectors, const char *label)
{
	char dir[4096], sub[4096 + 16], dst[4096 + 32], size[32];
	const char *mke2fs[] = { "mke2fs", "-q", "-F", "-t", "ext2", "-L",
				 label,	   "-d", dir,  out,  size,   NULL };

	snprintf(dir, sizeof(dir), "%s/%s", tmp, label);
	snprintf(sub, sizeof(sub), "%s/monos", dir);
	snprintf(size, sizeof(size), "%lluk", (unsigned long long)(sectors / 2));
	if ((mkdir(dir, 0755) && errno != EEXIST) || (mkdir(sub, 0755) && errno != EEXIST)) {
		msg_error("cannot create %s: %s", sub, strerror(errno));
		return -1;
	}
	snprintf(dst, sizeof(dst), "%s/kernel", sub);
	if (copy_file(slot->kernel, dst))
		return -1;
	snprintf(dst, sizeof(dst), "%s/image.cpio", sub);
	if (copy_file(slot->initrd, dst))
		return -1;
	snprintf(dst, sizeof(dst), "%s/slot.cfg", sub);
	if (write_text(dst, export_slot_cfg(slot)))
		return -1;
	unlink(out);
	return export_run(mke2fs, "e2fsprogs");
}

/* The grubenv block a new disk starts with: slot A good, holding `image`,
 * nothing to try. */
static int write_grubenv(const char *path, const char *image)
{
	char block[EXPORT_GRUBENV_SIZE];
	int n = snprintf(block, sizeof(block), GRUBENV_HEADER "monos_slot=a\n"), fd, rc = -1;

	memset(block + n, '#', sizeof(block) - n);
	if (bootslot_set_image(block, 'a', image)) {
		msg_error("%s: the image's name does not fit the grubenv block", image);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0 && write(fd, block, sizeof(block)) == (ssize_t)sizeof(block))
		rc = 0;
	if (fd >= 0 && close(fd))
		rc = -1;
	if (rc)
		msg_error("cannot write %s: %s", path, strerror(errno));
	return rc;
}

/* The byte offset of the grubenv block inside the FAT image `esp`: the one
 * sector that starts with its header (mcopy wrote it first, whole). */
static int find_grubenv(const char *esp, uint64_t *off)
{
	int fd = open(esp, O_RDONLY | O_CLOEXEC);
	char sector[EXPORT_SECTOR];
	int found = 0;

	for (uint64_t at = 0;
	     fd >= 0 && pread(fd, sector, sizeof(sector), (off_t)at) == (ssize_t)sizeof(sector);
	     at += EXPORT_SECTOR)
		if (!memcmp(sector, GRUBENV_HEADER, sizeof(GRUBENV_HEADER) - 1)) {
			*off = at;
			found++;
		}
	if (fd >= 0)
		close(fd);
	if (found != 1)
		msg_error("%s: cannot find the grubenv block (%d copies)", esp, found);
	return found == 1 ? 0 : -1;
}

/* GRUB for both firmwares: core.img (BIOS, its prefix on the ESP of the
 * first disk) and BOOTX64.EFI (UEFI, the ESP it was loaded from). */
static int make_grub_images(const char *core, const char *efi)
{
	const char *bios[] = { "grub-mkimage", "-O", "i386-pc",	 "-p",	       "(hd0,gpt2)/grub",
			       "-o",	       core, "biosdisk", GRUB_MODULES, NULL };
	const char *uefi[] = { "grub-mkimage", "-O", "x86_64-efi", "-p", "/grub",
			       "-o",	       efi,  GRUB_MODULES, NULL };

	if (export_run(bios, "grub-pc-bin"))
		return -1;
	return export_run(uefi, "grub-efi-amd64-bin");
}

/* The ESP as a FAT file: the grubenv block first (so its place is known
 * and grub.cfg can name it), then grub.cfg and GRUB's EFI image. */
static int make_esp(const char *tmp, const char *efi, const char *image, struct export_layout *l)
{
	char esp[4096], env[4096], cfg[4096], kib[32];
	const char *mkfs[] = { "mkfs.vfat", "-n", "MONOS-ESP", "-C", esp, kib, NULL };
	const char *mmd[] = { "mmd", "-i", esp, "::/EFI", "::/EFI/BOOT", "::/grub", NULL };
	const char *cp_env[] = { "mcopy", "-i", esp, env, "::/grub/grubenv", NULL };
	const char *cp_cfg[] = { "mcopy", "-i", esp, cfg, "::/grub/grub.cfg", NULL };
	const char *cp_efi[] = { "mcopy", "-i", esp, efi, "::/EFI/BOOT/BOOTX64.EFI", NULL };
	snprintf(esp, sizeof(esp), "%s/esp.img", tmp);
	snprintf(env, sizeof(env), "%s/grubenv", tmp);
	snprintf(cfg, sizeof(cfg), "%s/grub.cfg", tmp);
	snprintf(kib, sizeof(kib), "%u", EXPORT_ESP_SECTORS / 2);
	unlink(esp);
	if (export_run(mkfs, "dosfstools") || export_run(mmd, "mtools") ||
	    write_grubenv(env, image) || export_run(cp_env, "mtools") ||
	    find_grubenv(esp, &l->grubenv_off))
		return -1;
	l->grubenv_off += l->esp_lba * EXPORT_SECTOR;
	if (write_text(cfg, export_grub_cfg(l->grubenv_off)) || export_run(cp_cfg, "mtools") ||
	    export_run(cp_efi, "mtools"))
		return -1;
	return 0;
}

/* The GPT, by sgdisk on the disk file (it must not be given -q: sgdisk
 * then leaves the file unchanged). */
static int make_gpt(const char *path, const struct export_layout *l)
{
	char p[4][64];
	const char *argv[] = { "sgdisk",
			       "-n",
			       p[0],
			       "-t",
			       "1:ef02",
			       "-c",
			       "1:bios",
			       "-n",
			       p[1],
			       "-t",
			       "2:ef00",
			       "-c",
			       "2:esp",
			       "-n",
			       p[2],
			       "-t",
			       "3:8300",
			       "-c",
			       "3:" EXPORT_SLOT_LABEL_A,
			       "-n",
			       p[3],
			       "-t",
			       "4:8300",
			       "-c",
			       "4:" EXPORT_SLOT_LABEL_B,
			       path,
			       NULL };

	snprintf(p[0], sizeof(p[0]), "1:%u:%u", EXPORT_BIOS_LBA,
		 EXPORT_BIOS_LBA + EXPORT_BIOS_SECTORS - 1);
	snprintf(p[1], sizeof(p[1]), "2:%llu:%llu", (unsigned long long)l->esp_lba,
		 (unsigned long long)(l->slot_lba[0] - 1));
	for (int i = 0; i < 2; i++)
		snprintf(p[2 + i], sizeof(p[2 + i]), "%d:%llu:%llu", 3 + i,
			 (unsigned long long)l->slot_lba[i],
			 (unsigned long long)(l->slot_lba[i] + l->slot_sectors - 1));
	return export_run(argv, "gdisk");
}

int export_disk_write(const char *path, const char *tmp, const struct export_slot *slot)
{
	struct export_layout l;
	char core[4096], efi[4096], slot_img[4096], esp[4096];
	int fd = -1, rc = -1;

	export_layout_for(&l, file_size(slot->kernel) + file_size(slot->initrd));
	snprintf(core, sizeof(core), "%s/core.img", tmp);
	snprintf(efi, sizeof(efi), "%s/bootx64.efi", tmp);
	snprintf(slot_img, sizeof(slot_img), "%s/slot.img", tmp);
	snprintf(esp, sizeof(esp), "%s/esp.img", tmp);
	if (make_grub_images(core, efi) || make_esp(tmp, efi, slot->image, &l) ||
	    export_slot_image(slot_img, tmp, slot, l.slot_sectors, EXPORT_SLOT_LABEL_A))
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)(l.total_sectors * EXPORT_SECTOR))) {
		msg_error("cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	if (make_gpt(path, &l) || export_copy_into(fd, l.esp_lba * EXPORT_SECTOR, esp) ||
	    export_copy_into(fd, l.slot_lba[0] * EXPORT_SECTOR, slot_img) ||
	    export_bios_boot(fd, core))
		goto out;
	rc = 0;
out:
	if (fd >= 0 && close(fd) && !rc) {
		msg_error("cannot write %s: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}
