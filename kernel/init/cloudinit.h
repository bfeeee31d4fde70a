/*
 * cloud-init NoCloud at boot (issue 9; design.md contract 22): the init's
 * part.  It finds a seed among the disks (an ISO 9660 volume labelled
 * "cidata" or a FAT volume labelled "CIDATA", as cloud-localds and
 * mkfs.vfat make them; `monos run --seed FILE` attaches one read-only),
 * parses its meta-data, user-data and network-config with the library's
 * model (lib/cloudinit.h), and applies it before the program starts, in
 * cloud-init's order: the network (init-local), write_files, mounts, the
 * host name and /etc/hosts, then the deferred write_files (final stage).
 *
 * Precedence (contract 22): the command line wins.  monos.ip= and
 * monos.gateway= (`monos run --ip/--gateway`) keep their values over
 * network-config's.  Everything else the seed says wins over the image and
 * the CLI's generated /etc files (defaults).
 *
 * Errors never stop the boot: a malformed file, a key monos does not
 * support, a file that cannot be written or a mount that fails is one line
 * in the kernel log ("monos: cloud-init: ...", shown with -v), and the
 * rest is applied, as cloud-init logs and goes on.
 *
 * The image is read-only to the program, not to the boot: a file written
 * under the image's tree (/etc/...) joins the image in memory, read-only to
 * the program as the CLI's per-run /etc files are; one written under a
 * writable filesystem (/tmp, a mounted volume) is an ordinary file there.
 */
#ifndef INIT_CLOUDINIT_H
#define INIT_CLOUDINIT_H

#include <lib/cloudinit.h>

/*
 * cloudinit_boot_read - look for a seed on every disk, in order (the first
 * one labelled cidata counts) and parse it.  Returns the model to apply, or
 * NULL when there is no seed (or no memory: logged).  Boot, process
 * context (reads sleep), after the disks are probed.
 */
struct cloudinit *cloudinit_boot_read(void);

/*
 * cloudinit_boot_url - the kernel command line's NoCloud seed over HTTP
 * (`ds=nocloud;s=http://A.B.C.D:PORT/PATH/`, or nocloud-net, or seedfrom=):
 * its three files fetched with HTTP/1.0 GETs and parsed.  It replaces
 * `disk` (a seed from the disks, or NULL; freed then) when its meta-data
 * could be fetched; otherwise a line in the log and `disk` is returned.
 * Boot, after net_init.
 */
struct cloudinit *cloudinit_boot_url(const char *cmdline, struct cloudinit *disk);

/*
 * cloudinit_boot_net - apply network-config's entry for eth0 (static
 * addresses, gateway4 or the default route, DHCP; nameservers go to
 * /etc/resolv.conf), unless the kernel command line `cmdline` sets the
 * same key.  Boot, after net_init.
 */
void cloudinit_boot_net(const struct cloudinit *ci, const char *cmdline);

/*
 * cloudinit_boot_apply - write_files, mounts, host name and /etc/hosts,
 * deferred write_files; then free `ci`.  Boot, after the boot mounts and
 * the per-run data (time), before the program starts.
 */
void cloudinit_boot_apply(struct cloudinit *ci);

/* cloudinit_files.c, for cloudinit.c: write one file of write_files, or
 * the text `text` at `path` (0644, root) for the files the init generates
 * (/etc/hostname, /etc/hosts, /etc/resolv.conf).  Failures are logged. */
void cloudinit_write_file(const struct cloudinit_file *f);
void cloudinit_write_text(const char *path, const char *text);

/* cloudinit_files.c: cloud-init's `mounts`.  Failures are logged. */
void cloudinit_mounts(const struct cloudinit *ci);

#endif
