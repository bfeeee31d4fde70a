/*
 * GRUB 2's environment block (grub-editenv's file, grub-core/lib/envblk.c):
 * exactly GRUBENV_SIZE bytes, the header line, then "name=value\n" lines,
 * then '#' to the end.  No checksum: a block is valid when it has that
 * shape.  Values here never hold the backslash, newline or '=' that GRUB
 * would escape.  Pure code, shared by the kernel (marking a boot good,
 * init/standalone.c) and the CLI (monos update); unit test
 * tests/unit/test_lib_grubenv.c.
 */
#ifndef LIB_GRUBENV_H
#define LIB_GRUBENV_H

#include <stddef.h>

#define GRUBENV_SIZE   1024
#define GRUBENV_HEADER "# GRUB Environment Block\n"

/* grubenv_check - 0 when `block` (GRUBENV_SIZE bytes) is a valid block,
 * else -EINVAL. */
int grubenv_check(const char *block);

/* grubenv_get - the value of `name` in a valid block (not NUL terminated:
 * *len bytes), or NULL when absent. */
const char *grubenv_get(const char *block, const char *name, size_t *len);

/*
 * grubenv_set - set `name` to `value` (NULL: remove it) in the valid block
 * `block`, rewritten in place with the other variables in their order.
 * Returns 0, -EINVAL (an invalid block, or a name or value GRUB would
 * escape), or -ENOSPC (the block would overflow; it is left unchanged).
 */
int grubenv_set(char *block, const char *name, const char *value);

#endif
