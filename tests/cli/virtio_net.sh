#!/usr/bin/env bash
# CLI test: the virtio-mmio transport and the virtio-net driver, end to end,
# through the kernel's network self-test (monos.nettest=1, passed with the
# developer knob MONOS_KERNEL_ARGS).  With --net user the kernel must find
# the device QEMU describes on its command line, read its MAC, send an ARP
# request for 10.0.2.2 and receive slirp's reply through the RX interrupt
# (nothing polls: without working interrupts the reply is never seen), then
# hundreds more round trips (rings and buffers recycled), and still run the
# program.  Without --net: no device on QEMU's command line, no virtio-net line
# in the log.  A network where 10.0.2.2 does not exist must give "no ARP
# reply" after the one-second wait, not a hang and not a false success.
. "$(dirname "$0")/lib/common.bash"

BUILD=${BUILD:-build}
HELLO=$BUILD/examples/hello
RUN_TIMEOUT=120 # seconds per guest run (design 13)
MAC='([0-9a-f]{2}:){5}[0-9a-f]{2}'
SLIRP_GW_MAC=52:55:0a:00:02:02 # what QEMU's slirp answers for 10.0.2.2

# monos ARGS...: one guest run under the watchdog.
monos() {
	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run "$@"
}

# Show the kernel log (stderr of a --verbose run) when a group of checks failed.
dump_on_failure() {
	[ "$fails" -eq "$1" ] || sed 's/^/    | /' "$scratch/err" | cat -v | head -n 30
}

[ -x "$HELLO" ] || { echo "FAILED not built: $HELLO (make all)"; exit 1; }

# 1. --net user with the self-test.
before=$fails
MONOS_KERNEL_ARGS=monos.nettest=1 monos --net user --verbose "$HELLO"
check "nettest: hello's output" out_has "Hello from monos!"
check "nettest: exit status 0" status_is 0
check "nettest: QEMU gets a virtio-net device on user networking" \
	err_matches ' -netdev user,[^ ]* -device virtio-net-device'
check "nettest: MONOS_KERNEL_ARGS reaches the kernel command line" \
	err_matches ' -append [^-]*monos\.nettest=1'
check "nettest: the device is found with its MAC" \
	err_matches "monos: virtio-mmio@0x[0-9a-f]+: virtio-net, mac $MAC"
check "nettest: slirp's ARP reply for 10.0.2.2" \
	err_matches "monos: nettest: 10\.0\.2\.2 is at $SLIRP_GW_MAC"
check "nettest: every further round trip answered" \
	err_matches 'monos: nettest: ([0-9]+)/\1 ARP round trips'
dump_on_failure "$before"

# 2. --net none (the default): no device, no noise, same program output.
before=$fails
monos --verbose "$HELLO"
check "no --net: hello's output" out_has "Hello from monos!"
check "no --net: exit status 0" status_is 0
check "no --net: no network device on QEMU's command line" eval '! err_matches "virtio-net|-netdev"'
# (the virtio console, the channel's fast wire, is there: tests/cli/vcon.sh)
check "no --net: no virtio-net line in the kernel log" \
	eval '! err_matches "^monos: ([^ ]*: virtio-net|virtio_mmio|nettest)"'
monos --net none --verbose "$HELLO"
check "--net none: no network device" eval '! err_matches "virtio-net|-netdev"'
monos --net bogus "$HELLO"
check "--net bogus: refused with status 125" status_is 125
check "--net bogus: the message names the flag" err_matches 'net bogus'
dump_on_failure "$before"

# 3. The self-test asked for without a device says so and boots on.
before=$fails
MONOS_KERNEL_ARGS=monos.nettest=1 monos --verbose "$HELLO"
check "nettest without a device: said so" err_matches 'monos: nettest: no network device'
check "nettest without a device: hello still runs" out_has "Hello from monos!"
dump_on_failure "$before"

# 4. A user network where 10.0.2.2 is nobody (its gateway is 10.9.0.2): the
# test must report the missing reply within its wait and boot on.
before=$fails
MONOS_KERNEL_ARGS=monos.nettest=1 \
	MONOS_QEMU_ARGS="-netdev user,id=n1,net=10.9.0.0/24 -device virtio-net-device,netdev=n1" \
	monos --verbose "$HELLO"
check "no gateway: no ARP reply reported" err_matches 'monos: nettest: no ARP reply'
check "no gateway: no false success" eval '! err_matches "is at|round trips"'
check "no gateway: hello still runs" out_has "Hello from monos!"
dump_on_failure "$before"

# 5. Several virtio-mmio entries on the command line (a device no driver
# takes, then two NICs): each is probed, the first NIC is used, the second
# is refused with a log line, and the self-test still works.
before=$fails
EXTRA="-device virtio-rng-device -netdev user,id=n2 -device virtio-net-device,netdev=n2"
MONOS_KERNEL_ARGS=monos.nettest=1 MONOS_QEMU_ARGS=$EXTRA monos --net user --verbose "$HELLO"
check "two NICs: one is taken" eval '[ "$(grep -c ": virtio-net, mac" "$scratch/err")" -eq 1 ]'
check "two NICs: the other is refused, logged" err_matches 'virtio-net driver failed: EBUSY'
check "two NICs: the ARP reply still arrives" err_matches "nettest: 10\.0\.2\.2 is at $MAC"
check "two NICs: hello still runs" out_has "Hello from monos!"
dump_on_failure "$before"
finish
