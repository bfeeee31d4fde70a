#!/usr/bin/env bash
# CLI test: running out of memory ends the program as Linux's OOM killer
# would (design 5): a message naming the cause, status 137 (SIGKILL), and
# promptly, not a hang or a kernel panic.  The hog guest allocates and writes
# memory 1 MiB at a time up to a limit, reporting every 16 MiB; with enough
# memory (-m) it must finish.  Both libcs are tried: musl's malloc and
# glibc's reach for memory differently (mmap per step, or brk and mmap).
. "$(dirname "$0")/lib/common.bash"

BUILD=${BUILD:-build}
RUN_TIMEOUT=120 # seconds per guest run (design 13)

for libc in musl glibc; do
	hog=$BUILD/tests/guest/$libc/hog
	[ "$libc" = musl ] && hog=$GUEST/hog
	if [ ! -x "$hog" ]; then
		check "$libc: hog is built" false
		continue
	fi

	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run -m 32M "$hog" 512
	check "$libc: 512 MiB in 32M: status 137" status_is 137
	check "$libc: ... says out of memory" err_matches 'out of memory'
	check "$libc: ... got some way first" out_has "16 MiB"
	check "$libc: ... but not all the way" eval '! out_has "done: 512 MiB"'
	check "$libc: ... no kernel panic" eval '! err_matches panic'

	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run -m 256M "$hog" 64
	check "$libc: 64 MiB in 256M: status 0" status_is 0
	check "$libc: ... all of it" out_has "done: 64 MiB"
	check "$libc: ... every progress line" \
		eval '[ "$(grep -cE "^(16|32|48|64) MiB$" "$scratch/out")" = 4 ]'
	check "$libc: ... no out-of-memory message" eval '! err_matches "out of memory"'

	# The kernel keeps little for itself (design: hello in <= 2 MB), so
	# 64 MiB also fit in an instance of 96M.
	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run -m 96M "$hog" 64
	check "$libc: 64 MiB in 96M: status 0" status_is 0
done

# An image larger than the instance's memory: a clear refusal before boot
# (QEMU would load it over the kernel, which then hangs), naming the size
# that boots; with the memory just under what the image needs, the kernel
# runs out while booting and says so, not a panic.
head -c $((6 << 20)) /dev/urandom >"$scratch/blob"
run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run -m 4M --file "$scratch/blob:/data/blob" "$GUEST/exit" exit 0
check "image larger than --memory: status 125" status_is 125
check "... the message names the memory it needs" err_matches 'memory 4M is too small for this image \([0-9]+ bytes\): it needs at least [0-9]+M'
need=$(grep -oE 'at least [0-9]+M' "$scratch/err" | grep -oE '[0-9]+')
run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run -m "${need:-8}M" --file "$scratch/blob:/data/blob" "$GUEST/exit" exit 0
check "... and with that much it boots and runs" status_is 0
finish
