#!/usr/bin/env bash
# CLI test: the interfaces a program sees under --net user.  getifaddrs (route
# netlink dumps) inside monos must list eth0 with QEMU's user-network address
# 10.0.2.15/24, its broadcast address, and the MAC the virtio-net driver
# logged for the device; if_nametoindex("eth0") must agree (index 2), and lo
# must stay index 1.  Without --net there is no eth0 at all.  Both libcs'
# getifaddrs are checked (musl's and glibc's parse the replies differently).
. "$(dirname "$0")/lib/common.bash"

BUILD=${BUILD:-build}
RUN_TIMEOUT=120 # seconds per guest run
MAC_RE='([0-9a-f]{2}:){5}[0-9a-f]{2}'

# monos ARGS...: one guest run under the watchdog.
monos() {
	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run "$@"
}

for libc in musl glibc; do
	prog=$BUILD/tests/guest/$libc/netlink
	monos --net user --verbose "$prog" eth0
	check "$libc: exit status 0" status_is 0
	mac=$(grep -oE "virtio-net, mac $MAC_RE" "$scratch/err" | grep -oE "$MAC_RE")
	check "$libc: the driver logged the device's MAC" test -n "$mac"
	check "$libc: eth0 has 10.0.2.15/24 and its broadcast address" \
		out_has "eth0 inet 10.0.2.15 netmask 255.255.255.0 broadcast 10.0.2.255 flags up,broadcast"
	check "$libc: eth0's link entry carries the MAC" out_has "eth0 link $mac"
	check "$libc: if_nametoindex(eth0) is 2" out_has "eth0 index 2"

	monos "$prog" eth0
	check "$libc, no network: exit status 0" status_is 0
	check "$libc, no network: no eth0 address" test -z "$(grep '^eth0 inet' "$scratch/out")"
	check "$libc, no network: eth0 unknown" out_has "eth0 index 0"
done
finish
