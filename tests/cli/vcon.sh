#!/usr/bin/env bash
# CLI test: the host channel's fast wire, the virtio console (kernel/drivers/
# virtio_console.c, core/console.c, cli/session.c).  Bulk stdin and stdout
# arrive whole and in order, both ways at once; a program that reads its
# stdin late loses nothing, one that never reads it still ends; a host that
# stops reading stdout holds the program, not the machine; the early boot log
# (on the UART) and the rest (on the virtio console) both reach -v; the exit
# status follows large output; q35 (virtio-pci) too; and without the device
# ($MONOS_VIRTIO_CONSOLE=0) the UART carries everything as before.
. "$(dirname "$0")/lib/common.bash"

RUN_TIMEOUT=120 # seconds per guest run (design 13)
BIG=$((20 << 20))

# monos ARGS...: one guest run under the watchdog.
monos() {
	timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run "$@"
}

head -c "$BIG" /dev/urandom >"$scratch/in"
sum_in=$(sha256sum <"$scratch/in" | cut -d' ' -f1)

# 1. 20 MiB through stdin and back out through stdout (cat in the guest).
run monos /bin/cat <"$scratch/in"
check "20 MiB through cat: status 0" status_is 0
check "20 MiB through cat: the same bytes back" \
	[ "$(sha256sum <"$scratch/out" | cut -d' ' -f1)" = "$sum_in" ]

# 2. Large output, then the exit status: the exit frame comes after it all.
count_out() { monos "$@" | wc -c; }
run count_out /usr/bin/head -c "$BIG" /dev/zero
check "20 MiB of stdout: every byte" out_has "$BIG"
run monos "$GUEST/exit" exit 7
check "exit status over the virtio console" status_is 7

# 3. A late reader: the input waits in every buffer, none is lost.
want=$("$GUEST/stdin_late" 0 <"$scratch/in")
run monos "$GUEST/stdin_late" 2000 <"$scratch/in"
check "a reader 2 s late gets all 20 MiB" out_has "$want"

# 4. A program that never reads stdin while the host offers much: it exits,
# and so does monos (with its status).
offer_much() { head -c 200M /dev/zero | monos "$@"; }
run offer_much "$GUEST/stdin_late" 500 skip
check "stdin never read: monos ends with the program's status" status_is 0

# 5. The host stops reading stdout for 2 s, then goes away: the program
# blocks (the instance stays alive), then dies of SIGPIPE, as `yes | sleep 2`.
read_nothing() { { monos "$@"; echo $? >"$scratch/rc"; } | sleep 2; }
run read_nothing /usr/bin/yes
check "stdout not read: the program ends by SIGPIPE (141)" [ "$(cat "$scratch/rc")" = 141 ]

# 6. The log: boot lines from before the device (UART), then the rest.
run monos --verbose "$GUEST/count" </dev/null
check "-v: the early boot log (UART)" err_matches "^monos: tsc [0-9]+ kHz"
check "-v: the virtio console is found" err_matches "^monos: virtio-mmio@.*: virtio console, port 1"
check "-v: later lines (virtio console)" err_matches "^monos: starting the program"
check "-v: in order" [ "$(grep -nE '^monos: (tsc [0-9]+ kHz|starting the program)' "$scratch/err" |
	cut -d: -f1 | sort -n -c 2>&1 && echo sorted)" = sorted ]

# 7. --trace-syscalls: traces on stderr, stdout intact.
offer_abc() { printf abc | monos "$@"; }
run offer_abc --trace-syscalls "$GUEST/count"
check "--trace-syscalls: stdout intact" out_has "$(printf abc | "$GUEST/count")"
check "--trace-syscalls: the read is traced" err_matches '^read\(0, .*= 3$'

# 8. q35: the same device on virtio-pci.
head -c $((4 << 20)) "$scratch/in" >"$scratch/in4"
run monos --machine q35 --verbose /bin/cat <"$scratch/in4"
check "q35: 4 MiB through cat" \
	[ "$(sha256sum <"$scratch/out" | cut -d' ' -f1)" = "$(sha256sum <"$scratch/in4" | cut -d' ' -f1)" ]
check "q35: over virtio-pci" err_matches "^monos: virtio-pci@.*: virtio console"

# 9. Without the device: the UART alone, as on libvirt or a cloud.
export MONOS_VIRTIO_CONSOLE=0
run offer_abc --verbose "$GUEST/count"
unset MONOS_VIRTIO_CONSOLE
check "no device: stdin and stdout on the UART" out_has "$(printf abc | "$GUEST/count")"
check "no device: no virtio console" eval '! err_matches "virtio console"'
finish
