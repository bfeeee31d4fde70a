#!/usr/bin/env bash
# CLI test: the virtio-pci transport on q35 (PCI enumeration, the modern
# virtio capabilities, MSI-X) under the unchanged virtio-net driver.
# 1. --machine q35 --net user with the kernel's network self-test
#    (monos.nettest=1): the device is found by the PCI scan, its MSI-X
#    vectors are logged, and slirp's ARP reply arrives through the MSI-X
#    interrupt (nothing polls: with the entries left masked the reply is
#    never seen), then hundreds more round trips.
# 2. q35 without a network device: its host bridge, LPC and SATA functions
#    are ignored quietly and the program runs.
# 3. Devices monos cannot drive are logged and skipped, the program still
#    runs: no MSI-X (vectors=0), legacy interface only (disable-modern=on).
# 4. Harder placements that must still work: behind a PCIe root port (a
#    bridge to bus 1), a transitional device id (0x1000, disable-legacy=off),
#    a one-entry MSI-X table, and a second NIC beside a virtio-rng.
# 5. Real TCP over q35: a guest client to a host echo server and a host
#    client to a guest server published with -p, 1 MiB each, checked by hash.
. "$(dirname "$0")/lib/common.bash"

BUILD=${BUILD:-build}
HELLO=$BUILD/examples/hello
PROG=$GUEST/tcp_echo
RUN_TIMEOUT=120 # seconds per guest run (design 13)
MAC='([0-9a-f]{2}:){5}[0-9a-f]{2}'
SLIRP_GW_MAC=52:55:0a:00:02:02 # what QEMU's slirp answers for 10.0.2.2
PCI='virtio-pci@[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]'
MIB=1048576

# q35 ARGS...: one guest run on q35 under the watchdog.
q35() {
	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run --machine q35 "$@"
}

# nettest QEMU_ARGS: the self-test on q35 with extra QEMU devices.
nettest() {
	MONOS_KERNEL_ARGS=monos.nettest=1 MONOS_QEMU_ARGS=$1 q35 --verbose "$HELLO"
}

# Show the kernel log (stderr of a --verbose run) when a group of checks failed.
dump_on_failure() {
	[ "$fails" -eq "$1" ] || sed 's/^/    | /' "$scratch/err" | cat -v | head -n 30
}

# The checks every working self-test run must pass; $1 names the case.
nettest_works() {
	check "$1: the device is found with its MAC" err_matches "monos: $PCI: virtio-net, mac $MAC"
	check "$1: slirp's ARP reply for 10.0.2.2" \
		err_matches "monos: nettest: 10\.0\.2\.2 is at $SLIRP_GW_MAC"
	check "$1: every further round trip answered" \
		err_matches 'monos: nettest: ([0-9]+)/\1 ARP round trips'
	check "$1: hello still runs" out_has "Hello from monos!"
}

[ -x "$HELLO" ] && [ -x "$PROG" ] ||
	{ echo "FAILED not built: $HELLO, $PROG (make all guest-programs)"; exit 1; }

# 1. The CLI's own q35 network device, through MSI-X.
before=$fails
MONOS_KERNEL_ARGS=monos.nettest=1 q35 --net user --verbose "$HELLO"
check "q35: exit status 0" status_is 0
check "q35: QEMU gets a modern virtio-net-pci" \
	err_matches ' -M q35 .* -device virtio-net-pci,[^ ]*disable-legacy=on'
check "q35: MSI-X vectors for the queues and the configuration" \
	err_matches "monos: $PCI: MSI-X \([0-9]+ entries\): queues on vector 0x[0-9a-f]+, config on"
nettest_works "q35"
check "q35: no virtio-mmio device" eval '! err_matches "virtio-mmio@"'
dump_on_failure "$before"

# 2. No network device: the chipset's own functions make no noise.
before=$fails
q35 --verbose "$HELLO"
check "q35 without --net: hello's output" out_has "Hello from monos!"
check "q35 without --net: exit status 0" status_is 0
# The channel's virtio console is the one device monos run always adds.
check "q35 without --net: the virtio console on virtio-pci" err_matches "^monos: virtio-pci.*: virtio console"
vcon_dev=$(sed -n 's/^monos: \(virtio-pci@[^ ]*\): virtio console.*/\1/p' "$scratch/err")
check "q35 without --net: no other PCI or virtio line in the log" \
	eval '! grep -vF "monos: ${vcon_dev:-none}" "$scratch/err" | grep -qiE "^monos: (virtio|pci|nettest)|^pci:"'
dump_on_failure "$before"

# 3. Devices that cannot be driven: a clear line each, no hang, no NIC.
before=$fails
nettest "-netdev user,id=n1 -device virtio-net-pci,netdev=n1,vectors=0"
check "no MSI-X: skipped with a message" err_matches "monos: $PCI: no MSI-X capability: skipped"
check "no MSI-X: no network device" err_matches 'monos: nettest: no network device'
check "no MSI-X: hello still runs" out_has "Hello from monos!"
nettest "-netdev user,id=n1 -device virtio-net-pci,netdev=n1,disable-modern=on"
check "legacy only: skipped with a message" err_matches "monos: $PCI: legacy virtio only"
check "legacy only: no network device" err_matches 'monos: nettest: no network device'
check "legacy only: hello still runs" out_has "Hello from monos!"
dump_on_failure "$before"

# 4. Placements and shapes that must work.
before=$fails
nettest "-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1 -netdev user,id=n1 \
-device virtio-net-pci,netdev=n1,bus=rp1,disable-legacy=on"
check "behind a root port: found on bus 1" err_matches 'monos: virtio-pci@01:00\.0: virtio-net'
nettest_works "behind a root port"
dump_on_failure "$before"
before=$fails
nettest "-netdev user,id=n1 -device virtio-net-pci,netdev=n1,disable-legacy=off"
nettest_works "transitional id"
dump_on_failure "$before"
before=$fails
nettest "-netdev user,id=n1 -device virtio-net-pci,netdev=n1,disable-legacy=on,vectors=1"
check "one MSI-X entry: shared by queues and config" \
	err_matches 'MSI-X \(1 entries\): queues on vector (0x[0-9a-f]+), config on \1$'
nettest_works "one MSI-X entry"
dump_on_failure "$before"
before=$fails
nettest "-device virtio-rng-pci -netdev user,id=n1 -device virtio-net-pci,netdev=n1 \
-netdev user,id=n2 -device virtio-net-pci,netdev=n2"
check "two NICs: one is taken" eval '[ "$(grep -c ": virtio-net, mac" "$scratch/err")" -eq 1 ]'
check "two NICs: the other is refused, logged" err_matches 'virtio-net driver failed: EBUSY'
nettest_works "two NICs and an rng"
dump_on_failure "$before"

before=$fails
# 5. TCP.  A host echo server on a free port (tests/cli/lib/echo_server.py).
python3 tests/cli/lib/echo_server.py 1 >"$scratch/port" &
srv=$!
for _ in $(seq 50); do [ -s "$scratch/port" ] && break; sleep 0.1; done
q35 --net user --verbose -- "$PROG" client 10.0.2.2 "$(cat "$scratch/port")" "$MIB"
check "q35 guest client, host server: 1 MiB echoed" out_has "echoed $MIB bytes, fnv $(pattern_fnv $MIB)"
check "q35 guest client: status 0" status_is 0
check "q35 guest client: through virtio-pci" err_matches "monos: $PCI: virtio-net"
kill "$srv" 2>/dev/null
wait "$srv" 2>/dev/null
dump_on_failure "$before"

# A guest server published on a free host port; the host is the client.
before=$fails
hport=$(free_port)
timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run --machine q35 -p "$hport:7000" -- "$PROG" server 7000 1 \
	>"$scratch/srv.out" 2>"$scratch/srv.err" &
guest=$!
run timeout "$RUN_TIMEOUT" python3 tests/cli/lib/echo_client.py 127.0.0.1 "$hport" "$MIB"
check "q35 host client, guest server (-p): 1 MiB echoed" out_has "match"
wait "$guest"
rc=$?
check "q35 guest server: exits 0 after its connection" status_is 0
[ "$fails" -eq "$before" ] || sed 's/^/    | /' "$scratch/srv.err" | head -n 20
finish
