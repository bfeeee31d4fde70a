/*
 * monos boot information: what the kernel learns at boot besides the PVH
 * start info.  Shared by kernel, monitor and cli; C99 only.
 *
 * 1. The image.  An initrd in cpio "newc" format (magic "070701") holding the
 *    program and its files at their guest paths, without a leading '/'.  The
 *    packer page-aligns every regular file's data inside the archive (by
 *    padding the name field) so the kernel can map it in place; a file whose
 *    data is not page aligned is still accepted and then copied.
 *
 * 2. The per-run data.  A second, small cpio archive appended to the image
 *    (the kernel reads concatenated archives, each ending in "TRAILER!!!"),
 *    so the image itself never changes between runs.  Its entries, all under
 *    MONOS_RUN_DIR, are:
 *
 *    exe      the guest path of the program to start, no NUL (e.g. "/hello")
 *    argv     the arguments, each NUL terminated, argv[0] first
 *    envp     the environment, "NAME=value" each NUL terminated (may be empty)
 *    time     the host's CLOCK_REALTIME when the run started: struct
 *             monos_run_time, little endian
 *    seed     MONOS_RUN_SEED_LEN random bytes from the host's getrandom()
 *    tty      three bytes, '0' or '1': whether the host side of fd 0, 1, 2 is
 *             a terminal (the kernel then answers TCGETS and TIOCGWINSZ)
 *    winsize  optional struct monos_chan_winsize of the host terminal
 *    cwd      optional: the program's working directory, an absolute guest
 *             path, no NUL (default "/"); the packer adds its directories
 *    user     optional: who the program runs as, "UID:GID" or
 *             "UID:GID:G1,G2,..." in decimal, no NUL: every user id UID,
 *             every group id GID, the supplementary groups G1... (none
 *             without them), capabilities only for UID 0 (default "0:0")
 *    volumes  optional: volumes to mount before the program starts.  A
 *             first line "1" (this entry's format version; the kernel
 *             refuses another), then one line per volume,
 *             "SOURCE TARGET ro|rw": the virtio-blk disk's name ("vdb",
 *             ext4) or a share "9p:TAG[:/PATH]", the absolute guest
 *             directory (made if the tree lacks it), and whether it is
 *             mounted read-only.  A share at TARGET "/" is the root itself
 *             (mounted first, whatever its line), and "tmpfs /tmp rw" or
 *             "tmpfs /run rw" put the guest's own tmpfs over it.  Names and
 *             paths hold no space or newline.
 *    agent    optional: start the management agent (agent/, kernel/init/
 *             agent.c) with these arguments, each NUL terminated, argv[0]
 *             the guest path of its program (the CLI packs /.monos-agent)
 *    api-token  optional: the agent's API token, no NUL; it reaches the
 *             agent alone, as MONOS_API_TOKEN in its environment
 *    hostname optional: the host name (uname's nodename), 1 to 64 bytes, no
 *             NUL (default "monos")
 *    rlimits  optional: resource limits of the first process, set before
 *             its exec (as runc's setrlimit before execve): one line per
 *             limit, "RESOURCE SOFT HARD" in decimal, RESOURCE Linux's
 *             RLIMIT_* number, 18446744073709551615 for RLIM_INFINITY;
 *             a later line for the same resource wins
 *
 *    A missing or malformed entry is a boot error reported in the kernel log,
 *    except winsize, which is optional.  Later entries with the same name
 *    replace earlier ones.
 *
 * 3. The kernel command line: kernel options only, space separated, never
 *    user data (nothing needs quoting, no secret shows in the host's `ps`):
 *
 *    monos.channel=1   speak the framed host channel (channel.h) on the UART
 *    monos.trace=1     trace every system call (MONOS_CHAN_TRACE frames)
 *    monos.verbose=1   log more at boot
 *    monos.nettest=1   network self-test at boot: an ARP request for
 *                      10.0.2.2 from 10.0.2.15, the reply logged
 *    monos.ip=dhcp     IPv4 by DHCP: the boot waits (at most 10 s) for the
 *                      lease, logs it, then starts the program
 *    monos.ip=ADDR/PREFIX  a static IPv4 address, e.g. 192.168.1.5/24
 *                      (default, and on QEMU user networking:
 *                      10.0.2.15/24); without monos.ip no DHCP ever runs
 *    monos.gateway=ADDR    the IPv4 default gateway (default 10.0.2.2)
 *    monos.nettest=dhcp    lwIP self-test: get a DHCP lease and log
 *                      "monos: nettest: dhcp lease A gateway G"
 *    monos.nettest=tcp     lwIP self-test: connect to 10.0.2.2 port
 *                      monos.nettest.port=N, send "hello from monos\n",
 *                      log the reply line ("monos: nettest: tcp reply: L")
 *    monos.nettest=tcp6    the same over IPv6 to fec0::2 after SLAAC
 *    monos.nettest=loop    the same against an echo server on 127.0.0.1
 *                      inside the kernel (no device needed)
 *    (IPv6 always has a link-local address from the MAC, and SLAAC.)
 *    monos.blktest=1   block layer self-test at boot on the first disk
 *                      (kernel/drivers/blk_test.c): writes its sectors 8-23,
 *                      logs "monos: blktest: ok|FAILED WHAT" per check
 *    virtio_mmio.device=SIZE@ADDR:IRQ   a virtio-mmio device (repeatable)
 *
 *    Unknown options are ignored, as Linux ignores them.
 */
#ifndef MONOS_BOOTINFO_H
#define MONOS_BOOTINFO_H

#include <stdint.h>

#define MONOS_BOOTINFO_VERSION 1

#define MONOS_RUN_DIR	  ".monos"
#define MONOS_RUN_EXE	  MONOS_RUN_DIR "/exe"
#define MONOS_RUN_ARGV	  MONOS_RUN_DIR "/argv"
#define MONOS_RUN_ENVP	  MONOS_RUN_DIR "/envp"
#define MONOS_RUN_TIME	  MONOS_RUN_DIR "/time"
#define MONOS_RUN_SEED	  MONOS_RUN_DIR "/seed"
#define MONOS_RUN_TTY	  MONOS_RUN_DIR "/tty"
#define MONOS_RUN_WINSIZE MONOS_RUN_DIR "/winsize"
#define MONOS_RUN_CWD	  MONOS_RUN_DIR "/cwd"
#define MONOS_RUN_USER	  MONOS_RUN_DIR "/user"
#define MONOS_RUN_VOLUMES MONOS_RUN_DIR "/volumes"
#define MONOS_RUN_AGENT	  MONOS_RUN_DIR "/agent"
#define MONOS_RUN_TOKEN	  MONOS_RUN_DIR "/api-token"
#define MONOS_RUN_HOSTNAME MONOS_RUN_DIR "/hostname"
#define MONOS_RUN_RLIMITS  MONOS_RUN_DIR "/rlimits"

/* The format version the "volumes" entry starts with (its first line). */
#define MONOS_RUN_VOLUMES_VERSION "1"

#define MONOS_RUN_SEED_LEN 32
#define MONOS_IMAGE_ALIGN  4096 /* file data alignment inside the image */

/* Content of MONOS_RUN_TIME, little endian, 16 bytes. */
struct monos_run_time {
	int64_t sec;  /* seconds since the Unix epoch */
	int64_t nsec; /* 0 .. 999999999 */
};

#endif
