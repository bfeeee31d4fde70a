#!/usr/bin/env bash
# sanitizers: this script boots no guest
# CLI test: every way `monos run` can be misused or misconfigured ends with
# the conventional status (125: monos itself failed, 126: the program cannot
# be run, 127: the program does not exist) and one message naming the problem.
. "$(dirname "$0")/lib/common.bash"

ELF_MACHINE_OFFSET=18 # e_machine in the ELF64 header (u16, little endian)

run "$MONOS" run --no-such-flag "$GUEST/exit"
check "unknown flag: status 125" status_is 125
check "unknown flag: message names it" err_matches 'no-such-flag'
run "$MONOS" --no-such-flag
check "unknown top-level flag: status 125" status_is 125
run "$MONOS" no-such-command
check "unknown command: status 125" status_is 125

run "$MONOS" run "$scratch/missing-program"
check "missing program: status 127" status_is 127
check "missing program: message names it" err_matches 'missing-program'

printf 'just some text\n' >"$scratch/text"
chmod +x "$scratch/text"
run "$MONOS" run "$scratch/text"
check "text file: status 126" status_is 126
check "text file: message says not ELF" err_matches 'elf|exec|format'

# A static x86-64 program relabelled as AArch64 (EM_AARCH64 = 183 = 0xb7).
cp "$GUEST/exit" "$scratch/arm"
printf '\xb7\x00' | dd of="$scratch/arm" bs=1 seek=$ELF_MACHINE_OFFSET conv=notrunc 2>/dev/null
run "$MONOS" run "$scratch/arm"
check "other architecture: status 126" status_is 126
check "other architecture: message names it" err_matches 'arch|machine|x86|aarch|arm'

# The ELF header is whole; the program headers after it are cut off.
head -c 100 "$GUEST/exit" >"$scratch/truncated"
chmod +x "$scratch/truncated"
run "$MONOS" run "$scratch/truncated"
check "truncated ELF: status 126" status_is 126
check "truncated ELF: message says so" err_matches 'trunc|short|corrupt|invalid|malformed|bad'

# An empty PROGRAM is not found (docker: 127), not "is a directory".
run "$MONOS" run ''
check "empty program name: status 127" status_is 127
check "empty program name: says not found" err_matches "no such file"

# -p: every part checked before QEMU sees it.
for p in 1:2:3:4 999.1.1.1:80:80 8080:0 8080:65536 8080:80/sctp 80 a:80 1.2.3.4:80:; do
	run "$MONOS" run -p "$p" "$GUEST/exit"
	check "-p $p: status 125" status_is 125
	check "-p $p: one line naming it" eval '[ "$(wc -l <"$scratch/err")" = 1 ] && err_matches "publish $p"'
done

# --file: a file never replaces / or a directory the guest needs, nor a
# directory already in the image; nothing boots.
echo secret >"$scratch/file"
for g in / /tmp /dev /proc /sys /etc /root /tmp/ "$(dirname "$GUEST")"; do
	run "$MONOS" run --file "$scratch/file:$g" "$GUEST/exit"
	check "--file FILE:$g: status 125" status_is 125
	check "--file FILE:$g: says it cannot replace it" err_matches "cannot replace"
done

run env MONOS_KERNEL=/nonexistent "$MONOS" run "$GUEST/exit"
check "missing kernel: status 125" status_is 125
check "missing kernel: message names it" err_matches 'nonexistent|kernel'

run env MONOS_QEMU=/nonexistent "$MONOS" run "$GUEST/exit"
check "missing QEMU: status 125" status_is 125
check "missing QEMU: message names it" err_matches 'nonexistent|qemu'
finish
