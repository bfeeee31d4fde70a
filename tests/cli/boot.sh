#!/usr/bin/env bash
# CLI test: the kernel boots WITHOUT the CLI, as libvirt or a cloud would boot
# it: QEMU started by hand on microvm and on q35, an image packed by GNU cpio,
# no monos.channel option, so the UART is a plain text console.  The
# program's output must appear as plain text (no channel frames), followed by
# the kernel's "program exited" line, and QEMU's status must be the one
# isa-debug-exit makes of the program's: (status << 1) | 1.  A broken image
# (no program, or not a cpio archive at all) must end QEMU with a clear
# message, never hang.
. "$(dirname "$0")/lib/common.bash"

BUILD=${BUILD:-build}
KERNEL=${MONOS_KERNEL:-$BUILD/monos-kernel}
QEMU=${MONOS_QEMU:-qemu-system-x86_64}
HELLO=$BUILD/examples/hello
BOOT_TIMEOUT=60       # seconds per boot; q35 goes through SeaBIOS, still < 1 s
FRAME_MAGIC=$'\xa5'   # first byte of every host-channel frame (channel.h)
PAGE=4096             # MONOS_IMAGE_ALIGN: where monos' packer puts file data
NEWC_HEADER=110       # bytes of a newc header before the name

MACHINES=(
	microvm,acpi=off,pit=on,rtc=on
	q35
)

# boot MACHINE IMAGE: QEMU as the brief of a plain boot says; $rc, $out, $err.
boot() {
	run timeout -k 5 "$BOOT_TIMEOUT" "$QEMU" -M "$1" -nodefaults -no-user-config \
		-display none -no-reboot -cpu max -m 64M \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -serial stdio \
		-kernel "$KERNEL" -initrd "$2" -append ""
	# A console may end lines with CR LF; compare lines without the CR.
	tr -d '\r' <"$scratch/out" >"$scratch/out.lf" && mv "$scratch/out.lf" "$scratch/out"
}

# Round $1 up to a multiple of 4, as newc pads names and data.
align4() {
	echo $((($1 + 3) / 4 * 4))
}

# pack IMAGE ALIGNED GUESTNAME PROGRAM [EXE [ARGS...]]: a cpio newc image made
# by GNU cpio holding PROGRAM at /GUESTNAME and the per-run entries
# .monos/exe (EXE, no NUL; omitted when EXE is "-") and .monos/argv (EXE, or
# /GUESTNAME without one, and ARGS, each NUL terminated).  ALIGNED=yes puts a filler file first, sized so
# the program's data starts on a page, as monos' own packer arranges;
# ALIGNED=no leaves the data wherever cpio puts it (4-byte aligned only).
pack() {
	local image=$1 aligned=$2 name=$3 prog=$4 exe=${5:-/$3} arg0 dir list=() fill a
	shift $(($# < 5 ? $# : 5))
	dir=$(mktemp -d "$scratch/img.XXXXXX")
	mkdir "$dir/.monos"
	cp "$prog" "$dir/$name"
	if [ "$aligned" = yes ]; then
		# filler header+name, then the program's header+name, end on a page.
		fill=$(($(align4 $((NEWC_HEADER + 5))) + $(align4 $((NEWC_HEADER + ${#name} + 1)))))
		head -c $(((PAGE - fill % PAGE) % PAGE)) /dev/zero >"$dir/fill"
		list+=(fill)
	fi
	list+=("$name")
	arg0=/$name
	if [ "$exe" != - ]; then
		printf '%s' "$exe" >"$dir/.monos/exe"
		list+=(.monos/exe)
		arg0=$exe
	fi
	for a in "$arg0" "$@"; do
		printf '%s\0' "$a"
	done >"$dir/.monos/argv"
	list+=(.monos/argv)
	(cd "$dir" && printf '%s\n' "${list[@]}" | cpio -o -H newc --quiet) >"$image"
}

# no_frames: stdout holds no channel frame byte: a plain text console.
no_frames() {
	! LC_ALL=C grep -q "$FRAME_MAGIC" "$scratch/out"
}

# Show the boot's whole stdout when a check of it failed.
dump_on_failure() {
	[ "$fails" -eq "$1" ] || sed 's/^/    | /' "$scratch/out" | cat -v | head -n 30
}

for tool in "$QEMU" cpio; do
	command -v "$tool" >/dev/null || { echo "FAILED $tool is not installed"; exit 1; }
done
[ -f "$KERNEL" ] && [ -x "$HELLO" ] && [ -x "$GUEST/exit" ] ||
	{ echo "FAILED not built: $KERNEL, $HELLO, $GUEST/exit (make all guest-programs)"; exit 1; }

pack "$scratch/hello.cpio" yes hello "$HELLO" /hello x
pack "$scratch/exit3.cpio" yes exit "$GUEST/exit" /exit exit 3
pack "$scratch/noexe.cpio" yes hello "$HELLO" -
head -c 65536 /dev/urandom >"$scratch/junk.img"

for m in "${MACHINES[@]}"; do
	mt=${m%%,*}
	before=$fails
	boot "$m" "$scratch/hello.cpio"
	check "$mt: hello's output on the console" out_has "Hello from monos!"
	check "$mt: argv from .monos/argv" \
		eval 'out_has "argc = 2" && out_has "argv[0] = \"/hello\"" && out_has "argv[1] = \"x\""'
	check "$mt: plain text, no channel frames" no_frames
	check "$mt: the kernel says the status" out_has "monos: program exited with status 0"
	check "$mt: exit 0 makes QEMU exit 1" status_is 1
	dump_on_failure "$before"

	before=$fails
	boot "$m" "$scratch/exit3.cpio"
	check "$mt: exit(3) output" out_has "exiting with exit(3)"
	check "$mt: the kernel says status 3" out_has "monos: program exited with status 3"
	check "$mt: exit 3 makes QEMU exit 7" status_is 7
	dump_on_failure "$before"

	before=$fails
	boot "$m" "$scratch/noexe.cpio"
	check "$mt: no .monos/exe: QEMU stops, no timeout" eval '[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ]'
	check "$mt: no .monos/exe: non-zero status" eval '[ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]'
	check "$mt: no .monos/exe: the kernel says so" \
		grep -qiE 'no program to run.*\.monos/exe' "$scratch/out"
	dump_on_failure "$before"

	before=$fails
	boot "$m" "$scratch/junk.img"
	check "$mt: random initrd: QEMU stops, no timeout" eval '[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ]'
	check "$mt: random initrd: non-zero status" eval '[ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]'
	check "$mt: random initrd: panic names the cause" \
		grep -qE 'panic.*not a valid cpio archive' "$scratch/out"
	check "$mt: random initrd: the panic's backtrace names the kernel function (.ksyms)" \
		grep -qE '^  ffffffff8[0-9a-f]{7} init_main\+0x[0-9a-f]+' "$scratch/out"
	dump_on_failure "$before"
done

# bootinfo.h: file data that is not page aligned "is still accepted and then
# copied".  GNU cpio in its natural order leaves the program's data 4-byte
# aligned only (a 110-byte header plus "hello\0", padded to 4).
before=$fails
pack "$scratch/unaligned.cpio" no hello "$HELLO" /hello x
boot "${MACHINES[0]}" "$scratch/unaligned.cpio"
check "unaligned program data: hello still runs" out_has "Hello from monos!"
check "unaligned program data: QEMU exits 1" status_is 1
dump_on_failure "$before"
finish
