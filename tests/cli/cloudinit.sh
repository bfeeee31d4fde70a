#!/usr/bin/env bash
# CLI test: cloud-init NoCloud seeds applied at boot (kernel/init/cloudinit.c,
# `monos run --seed FILE`).  Seeds are made at test time by Debian's tools;
# busybox (busybox-static, unmodified) shows what the program sees.
# 1. An ISO 9660 seed from cloud-localds: hostname and fqdn (uname,
#    /etc/hostname, /etc/hosts), write_files (image and tmpfs, parents made,
#    b64, permissions, owners by name and by number, append, defer),
#    network-config v2 (static address, gateway, nameservers), an unsupported
#    key named in the log.
# 2. The same on q35 (virtio-pci); under -u the files are still written as
#    root; --ip on the command line wins over network-config.
# 3. A FAT seed (mkfs.vfat -n CIDATA, mcopy); network-config dhcp4.
# 4. A malformed user-data is one log line with its line number, and the
#    rest of the seed (meta-data's local-hostname) still counts; a disk that
#    is not a seed changes nothing.
#    A missing --seed file is refused with a clear line.
# 5. The seed over HTTP (ds=nocloud;s=http://HOST:PORT/ on the kernel
#    command line), served by python3 -m http.server; without the server,
#    one log line and the default name.
# 6. mounts: an ext4 volume made by mkfs.ext4 -d is mounted, or, while the
#    kernel has no ext4 filesystem type, skipped with a clear line.
. "$(dirname "$0")/lib/common.bash"

RUN_TIMEOUT=60 # seconds per guest run (design 13)
BB=/bin/busybox

for tool in cloud-localds mkfs.vfat mcopy mkfs.ext4; do
	command -v $tool >/dev/null || { echo "FAILED $tool is needed (scripts/deps.sh)"; exit 1; }
done
[ -x $BB ] || { echo "FAILED $BB is needed (busybox-static)"; exit 1; }

# guest ARGS... -- SCRIPT: busybox sh -c SCRIPT in monos with ARGS, -v.
guest() {
	local args=()
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	run timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run --verbose "${args[@]}" $BB sh -c "$2"
}

# log_has TEXT: the last run's kernel log (stderr with -v) has TEXT.
log_has() {
	grep -qF -- "$1" "$scratch/err"
}

mkdir -p "$scratch/seed"
cd "$scratch/seed" || exit 1
cat >user-data <<'EOF'
#cloud-config
hostname: seedhost
fqdn: seedhost.example.org
manage_etc_hosts: true
runcmd:
  - echo not run
write_files:
  - path: /etc/app/config.txt
    content: |
      hello from the seed
    permissions: '0640'
    owner: www-data:daemon
  - path: /tmp/deep/dir/b64.txt
    encoding: b64
    content: aGVsbG8gYmFzZTY0Cg==
    permissions: '0600'
    owner: '1234:5678'
  - path: /etc/app/log.txt
    content: "first\n"
  - path: /etc/app/log.txt
    content: "second\n"
    append: true
  - path: /etc/late.txt
    content: "deferred\n"
    defer: true
EOF
# Two larger files, at the end of write_files: 20,000 bytes in base64
# (several pages, copied into mappings), and text in gzip+base64.
head -c 20000 /dev/urandom >"$scratch/big.bin"
big_md5=$(md5sum <"$scratch/big.bin" | cut -d' ' -f1)
{
	printf '  - path: /etc/big.bin\n    encoding: b64\n    content: %s\n' "$(base64 -w0 "$scratch/big.bin")"
	printf '  - path: /etc/gz.txt\n    encoding: gz+b64\n    content: %s\n' "$(printf 'zipped text\n' | gzip -c | base64 -w0)"
} >>user-data
cat >meta-data <<'EOF'
instance-id: iid-monos-1
local-hostname: metahost
EOF
cat >network-config <<'EOF'
version: 2
ethernets:
  eth0:
    addresses: [10.0.2.77/24]
    gateway4: 10.0.2.2
    nameservers:
      addresses: [10.0.2.3, 192.0.2.53]
      search: [example.org]
EOF
cloud-localds -N network-config seed.iso user-data meta-data
cd - >/dev/null || exit 1

SHOW='md5sum /etc/big.bin; cat /etc/gz.txt; hostname; cat /etc/hostname /etc/hosts /etc/resolv.conf;
stat -c "%n %a %u:%g %s" /etc/app/config.txt /tmp/deep/dir/b64.txt /etc/app/log.txt /etc/late.txt;
cat /etc/app/config.txt /tmp/deep/dir/b64.txt /etc/app/log.txt /etc/late.txt;
ifconfig eth0 | grep "inet addr"'

# checks_full NAME SEED: what the full seed gives; SEED is how the log
# names where it was found.
checks_full() {
	check "$1: status 0" status_is 0
	check "$1: uname's host name" out_has "seedhost"
	check "$1: /etc/hosts from the template" out_has "127.0.1.1 seedhost.example.org seedhost"
	check "$1: nameservers" out_has "nameserver 192.0.2.53"
	check "$1: search" out_has "search example.org"
	check "$1: owner by name, permissions" out_has "/etc/app/config.txt 640 33:1 20"
	check "$1: tmpfs, parents made, b64, numeric owner" out_has "/tmp/deep/dir/b64.txt 600 1234:5678 13"
	check "$1: append" out_has "/etc/app/log.txt 644 0:0 13"
	check "$1: deferred" out_has "/etc/late.txt 644 0:0 9"
	check "$1: appended in order" eval 'grep -A1 -xF first "$scratch/out" | grep -qxF second'
	check "$1: deferred content" out_has "deferred"
	check "$1: the seed is named in the log" log_has "cloud-init: NoCloud seed $2"
	check "$1: runcmd named, skipped" log_has "runcmd: not supported, skipped"
}

# checks_private NAME: the files only their owners may read.
checks_private() {
	check "$1: content" out_has "hello from the seed"
	check "$1: b64 decoded" out_has "hello base64"
	check "$1: 20,000 bytes of b64" out_has "$big_md5  /etc/big.bin"
	check "$1: gz+b64" out_has "zipped text"
}

# 1. ISO 9660 on microvm.
guest --net user --seed "$scratch/seed/seed.iso" -- "$SHOW"
checks_full iso "on vda (ISO 9660, label cidata)"
checks_private iso
check "iso: the static address" eval 'grep -q "inet addr:10.0.2.77 .*Mask:255.255.255.0" "$scratch/out"'
check "iso: the gateway (log)" log_has "cloud-init: eth0: gateway 10.0.2.2"

# 2. q35, -u, --ip.
guest --machine q35 --net user -u nobody --ip 10.0.2.50/24 --seed "$scratch/seed/seed.iso" -- "id -u; $SHOW"
checks_full q35 "on vda (ISO 9660, label cidata)"
check "q35 -u: the program runs as nobody" out_has "65534"
check "q35 -u: nobody may not read the private files" \
	eval 'grep -q "config.txt'\'': Permission denied" "$scratch/err"' 
check "q35 --ip: the command line wins" eval 'grep -q "inet addr:10.0.2.50 " "$scratch/out"'
check "q35 --ip: said in the log" log_has "addresses: monos.ip wins"

# 3. FAT, dhcp4.
cat >"$scratch/net-dhcp" <<'EOF'
network:
  version: 2
  ethernets:
    nic:
      match:
        name: "eth*"
      dhcp4: true
EOF
fat=$scratch/seed.vfat
truncate -s 2M "$fat"
mkfs.vfat -n CIDATA "$fat" >/dev/null
MTOOLS_SKIP_CHECK=1 mcopy -i "$fat" "$scratch/seed/user-data" "$scratch/seed/meta-data" ::/
MTOOLS_SKIP_CHECK=1 mcopy -i "$fat" "$scratch/net-dhcp" ::/network-config
guest --net user --seed "$fat" -- "hostname; cat /etc/app/config.txt; ifconfig eth0 | grep 'inet addr'"
check "fat: status 0" status_is 0
check "fat: found" log_has "cloud-init: NoCloud seed on vda (FAT, label CIDATA)"
check "fat: host name" out_has "seedhost"
check "fat: a file" out_has "hello from the seed"
check "fat: dhcp4 by a name match" log_has "cloud-init: eth0: dhcp lease 10.0.2.15"
check "fat: the leased address" eval 'grep -q "inet addr:10.0.2.15 " "$scratch/out"'

# 4. A malformed user-data; a disk that is not a seed.
mkdir -p "$scratch/bad"
printf '#cloud-config\nhostname: [unclosed\nwrite_files: 3\n' >"$scratch/bad/user-data"
cp "$scratch/seed/meta-data" "$scratch/bad/meta-data"
cloud-localds "$scratch/bad.iso" "$scratch/bad/user-data" "$scratch/bad/meta-data"
guest --seed "$scratch/bad.iso" -- "hostname; echo started"
check "malformed: the program starts" out_has "started"
check "malformed: status 0" status_is 0
check "malformed: meta-data still counts" out_has "metahost"
check "malformed: the log names the file and line" \
	eval 'grep -qE "cloud-init: user-data: line [0-9]+, column [0-9]+: .*: the file is ignored" "$scratch/err"'
truncate -s 1M "$scratch/blank.img"
guest --disk "$scratch/blank.img" -- "hostname"
check "no seed: the default name" out_has "monos"
check "no seed: nothing applied" eval '! grep -q "cloud-init" "$scratch/err"'

# A missing seed file is one clear line naming --seed.
run "$MONOS" run --seed "$scratch/missing.iso" $BB true
check "missing seed: status 125" status_is 125
check "missing seed: named" err_matches "^monos: --seed .*missing.iso: No such file"

# 5. The same seed over HTTP: ds=nocloud;s=http://10.0.2.2:PORT/ on the
#    kernel command line (QEMU's user networking reaches the host's
#    loopback at 10.0.2.2), served by python3 -m http.server.
port=$(free_port)
python3 -m http.server -b 127.0.0.1 -d "$scratch/seed" "$port" >"$scratch/http.log" 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null; rm -rf "$scratch"' EXIT
for _ in $(seq 100); do
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])))' \
		"$port" 2>/dev/null && break
	sleep 0.1
done
MONOS_KERNEL_ARGS="ds=nocloud;s=http://10.0.2.2:$port/" guest --net user -- "$SHOW"
checks_full http "http://10.0.2.2:$port/"
check "http: the static address" eval 'grep -q "inet addr:10.0.2.77 " "$scratch/out"'
check "http: the server saw the GETs" eval 'grep -q "GET /network-config HTTP/1.0\" 200" "$scratch/http.log"'
kill $srv
MONOS_KERNEL_ARGS="ds=nocloud;s=http://10.0.2.2:$port/" guest --net user -- "hostname"
check "http, server gone: the program starts with the default name" out_has "monos"
check "http, server gone: one clear line" log_has "cloud-init: seed http://10.0.2.2:$port/meta-data: ECONNREFUSED: not used"

# 6. mounts.
mkdir -p "$scratch/vol"
echo "on the volume" >"$scratch/vol/hello"
mkfs.ext4 -q -d "$scratch/vol" "$scratch/vol.img" 8M >/dev/null 2>&1
cat >"$scratch/mnt-ud" <<'EOF'
#cloud-config
mounts:
  - [ /dev/vdb, /data, auto, "defaults,nofail", "0", "2" ]
  - [ vdz, /nowhere ]
EOF
cloud-localds "$scratch/mnt.iso" "$scratch/mnt-ud" "$scratch/seed/meta-data"
guest --seed "$scratch/mnt.iso" --disk "$scratch/vol.img" -- "cat /data/hello 2>&1; echo done"
check "mounts: the program starts" out_has "done"
check "mounts: a missing disk is skipped" log_has "mounts: vdz: no such disk"
if log_has "mounted /dev/vdb on /data (ext4)"; then
	check "mounts: the volume's file" out_has "on the volume"
else
	check "mounts: without ext4, skipped with a clear line" \
		log_has "mounts: /dev/vdb on /data: filesystem type ext4 is not available in this kernel: skipped"
fi
finish
