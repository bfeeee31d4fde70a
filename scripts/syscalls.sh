#!/usr/bin/env bash
# Generates the syscall numbers and names of Linux x86-64 from the host's
# uapi header (Debian's linux-libc-dev), so the kernel never hand-copies them:
#   syscalls.sh nr    > syscall_nr.h     (#define __NR_read 0 ...)
#   syscalls.sh names > syscall_names.c  (const char *const syscall_names[])
set -euo pipefail
hdr=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
[ -f "$hdr" ] || { echo "syscalls.sh: $hdr missing (install linux-libc-dev)" >&2; exit 1; }
case "${1:-}" in
nr)
	echo "/* Generated from $hdr by scripts/syscalls.sh. */"
	echo "#ifndef LINUX_SYSCALL_NR_H"
	echo "#define LINUX_SYSCALL_NR_H"
	awk '$1 == "#define" && $2 ~ /^__NR_/ { print "#define " $2 " " $3 }' "$hdr"
	awk '$1 == "#define" && $2 ~ /^__NR_/ && $3 > m { m = $3 } END { print "#define SYSCALL_COUNT " m + 1 }' "$hdr"
	echo "#endif"
	;;
names)
	echo "/* Generated from $hdr by scripts/syscalls.sh. */"
	echo '#include "linux/syscall_nr.h"'
	echo 'const char *const syscall_names[SYSCALL_COUNT] = {'
	awk '$1 == "#define" && $2 ~ /^__NR_/ { n = substr($2, 6); print "\t[" $3 "] = \"" n "\"," }' "$hdr"
	echo '};'
	;;
*) echo "usage: syscalls.sh nr|names" >&2; exit 2 ;;
esac
