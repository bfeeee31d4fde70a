/*
 * Kernel command-line options ("monos.channel=1 virtio_mmio.device=...") and
 * the number parsing they need.  All functions are pure and take lengths
 * explicitly, so they can parse a value in place inside the command line.
 */
#ifndef LIB_CMDLINE_H
#define LIB_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * cmdline_find - find option @key in @cmdline, a string of "k=v", "k2" words
 * separated by spaces (or tabs or newlines).  Returns a pointer to the value
 * inside @cmdline and its length in *@vlen (@vlen may be NULL); a bare key or
 * "key=" has length 0.  Returns NULL if the key is absent.  The last
 * occurrence wins, as in Linux.  No quoting is understood.
 */
const char *cmdline_find(const char *cmdline, const char *key, size_t *vlen);

/*
 * cmdline_flag - whether boolean option @key is on: "key", "key=1", "key=on",
 * "key=yes", "key=y", "key=true" are true; anything else, or absence, false.
 */
bool cmdline_flag(const char *cmdline, const char *key);

/*
 * cmdline_parse_mmio - parse a virtio-mmio device description
 * "SIZE@ADDR:IRQ" (the virtio_mmio.device= form written by QEMU, Firecracker
 * and our monitor) of @len bytes at @s.  SIZE and ADDR accept what
 * parse_size() accepts; IRQ is decimal or 0x hex.  Returns 0, -EINVAL if
 * malformed or SIZE is 0, -ERANGE if a number or ADDR + SIZE overflows.
 */
int cmdline_parse_mmio(const char *s, size_t len, uint64_t *size, uint64_t *addr, unsigned *irq);

/*
 * parse_u64 - parse all @len bytes at @s as a decimal or "0x"/"0X" hex
 * unsigned number.  Returns 0, -EINVAL if empty or any byte is not a digit,
 * -ERANGE if the value does not fit in 64 bits.
 */
int parse_u64(const char *s, size_t len, uint64_t *out);

/*
 * parse_size - parse a size: a parse_u64() number optionally followed by one
 * binary suffix K, M or G (or k, m, g): "512", "64K", "0x10M", "2G".
 * Returns 0, -EINVAL if malformed, -ERANGE on overflow.
 */
int parse_size(const char *s, size_t len, uint64_t *out);

/*
 * parse_user_ids - parse the per-run user entry "UID:GID" or
 * "UID:GID:G1,G2,..." (include/monos/bootinfo.h) of @len bytes at @s:
 * decimal ids below 2^32 - 1 ((uid_t)-1 is no id).  The uid and gid go to
 * @ids, the supplementary groups to @groups (room for @max), their count
 * to *@n.  Returns 0, -EINVAL if malformed, -ERANGE past @max groups.
 */
int parse_user_ids(const char *s, size_t len, uint32_t ids[2], uint32_t *groups, unsigned max,
		   unsigned *n);

/*
 * parse_rlimit - parse one line of the per-run rlimits entry
 * (include/monos/bootinfo.h), "RESOURCE SOFT HARD" (@len bytes at @s, no
 * newline): three parse_u64() numbers separated by one space each, into
 * *@res, *@soft and *@hard.  Returns 0, or -EINVAL if malformed, RESOURCE
 * is not below 2^31 or SOFT is above HARD.
 */
int parse_rlimit(const char *s, size_t len, unsigned *res, uint64_t *soft, uint64_t *hard);

#endif
