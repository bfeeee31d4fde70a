# --net tap:NAME, --ip and --gateway, and --ip dhcp: the guest on a host tap
# device at an address of its own, reached directly by host clients (no port
# forwarding), and reaching a host server through its gateway; then a DHCP
# lease from QEMU's user networking before the program starts.
# The tap part needs root and /dev/net/tun (CAP_NET_ADMIN to create the
# device); without them it says SKIPPED for each of its checks.
source tests/cli/lib/common.bash
prog=$GUEST/tcp_echo

# DHCP under user networking: slirp leases 10.0.2.15 and names 10.0.2.2 the
# gateway; the program starts after the lease (the log line comes first).
run timeout -k 5 120 "$MONOS" run --verbose --net user --ip dhcp -- "$GUEST/../../../examples/hello"
check "--ip dhcp: the program runs" out_has "Hello from monos!"
check "--ip dhcp: the lease is taken before the program starts" \
	eval "grep -n 'dhcp lease 10.0.2.15 gateway 10.0.2.2' '$scratch/err' | grep -q . &&
	      [ \$(grep -n 'dhcp lease' '$scratch/err' | cut -d: -f1) -lt \$(grep -n 'starting the program' '$scratch/err' | cut -d: -f1) ]"
check "--ip dhcp: monos.ip=dhcp on the kernel command line" err_matches ' -append [^-]*monos\.ip=dhcp'
run "$MONOS" run --net user --ip 10.0.2.15 "$prog"
check "--ip without a prefix: refused with status 125" status_is 125

if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] || ! command -v ip >/dev/null; then
	echo "SKIPPED tap checks: need root, /dev/net/tun and ip(8)"
	finish
fi
tap=mtap$(($$ % 10000))
net=10.$((77 + $$ % 3)).$(($$ % 250 + 1)) # unlikely to collide with the host's
if ! ip tuntap add dev "$tap" mode tap 2>"$scratch/iperr"; then
	echo "SKIPPED tap checks: cannot create a tap device: $(cat "$scratch/iperr")"
	finish
fi
trap 'ip link del "$tap" 2>/dev/null; rm -rf "$scratch"' EXIT
ip addr add "$net.1/24" dev "$tap"
ip link set "$tap" up

# A guest server at its own address on the tap: the host connects to it
# directly.
timeout -k 5 120 "$MONOS" run --verbose --net "tap:$tap" --ip "$net.2/24" --gateway "$net.1" -- \
	"$prog" server 7000 1 >"$scratch/srv.out" 2>"$scratch/srv.err" &
guest=$!
run timeout 120 python3 tests/cli/lib/echo_client.py "$net.2" 7000 1048576
check "tap: a host client reaches the guest at $net.2: 1 MiB echoed" out_has "match"
wait $guest
rc=$?
out=$(cat "$scratch/srv.out")
err=$(cat "$scratch/srv.err")
check "tap: the guest server exits 0" status_is 0
check "tap: QEMU gets the tap netdev" \
	grep -qE -- "-netdev tap,id=net0,script=no,downscript=no,ifname=$tap " "$scratch/srv.err"
check "tap: --ip and --gateway reach the kernel" \
	grep -qE -- "monos\.ip=$net\.2/24 monos\.gateway=$net\.1" "$scratch/srv.err"

# The guest as a client of a host server on the host's tap address.
python3 tests/cli/lib/echo_server.py 1 "$net.1" >"$scratch/port" &
srv=$!
for _ in $(seq 50); do [ -s "$scratch/port" ] && break; sleep 0.1; done
run timeout -k 5 120 "$MONOS" run --net "tap:$tap" --ip "$net.2/24" -- "$prog" client "$net.1" "$(cat "$scratch/port")" 65536
check "tap: the guest reaches a host server on $net.1" eval 'grep -q "^echoed 65536 bytes" "$scratch/out"'
kill $srv 2>/dev/null
wait $srv 2>/dev/null

finish
