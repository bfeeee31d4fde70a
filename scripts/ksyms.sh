#!/usr/bin/env bash
# Writes the kernel's symbol table (for panic backtraces) as assembly, from
# the text symbols of a linked kernel:  ksyms.sh KERNEL_ELF > ksyms.S
# With no kernel yet (first link), writes an empty table.
set -euo pipefail
echo '	.section .ksyms, "a"'
echo '	.p2align 3'
echo '	.globl ksyms, ksyms_count, ksyms_names'
if [ "${1:-}" = "" ]; then
	echo 'ksyms_count: .quad 0'
	echo 'ksyms:'
	echo 'ksyms_names: .byte 0'
	exit 0
fi
nm -n --defined-only "$1" | awk '
	BEGIN { n = 0 }
	NF == 3 && $2 ~ /^[tTwW]$/ && $1 ~ /^ffffffff8/ { addr[n] = substr($1, 9); name[n] = $3; n++ }
	END {
		printf "ksyms_count: .quad %d\nksyms:\n", n
		off = 0
		for (i = 0; i < n; i++) { printf "\t.long 0x%s, %d\n", addr[i], off; off += length(name[i]) + 1 }
		printf "ksyms_names:\n"
		for (i = 0; i < n; i++) printf "\t.asciz \"%s\"\n", name[i]
	}'
