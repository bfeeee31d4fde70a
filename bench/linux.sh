# How the benchmarks run the Linux guest baseline (sourced by bench/*.sh
# after bench/lib.sh, never run on its own).  bench/linux-guest.sh builds the
# kernel and initramfs; this file turns them into a QEMU command that matches
# monos' own: the same QEMU binary, machine type, CPU model, accelerator and
# memory, taken from `monos run -v` (bench_monos_qemu_argv), so the baseline
# cannot drift from what monos runs.  Two differences, both needed by
# Debian's cloud kernel (facts.md):
#   - microvm's ACPI stays on: the kernel has no VIRTIO_MMIO_CMDLINE_DEVICES,
#     so it finds the virtio-mmio devices only in the ACPI tables;
#   - Linux boots as a bzImage through microvm's firmware (qboot), not as a
#     PVH ELF: the package ships only the compressed bzImage (vmlinuz), whose
#     PVH entry note is inside the compressed payload where QEMU cannot see it.
# Without icount, the kernel gets tsc_early_khz=<the host TSC's kHz>: under
# plain TCG its TSC calibration otherwise hangs in about 40% of boots.
#
# Environment: BENCH_LINUX_KERNEL, BENCH_LINUX_INITRD, BENCH_LINUX_APPS
# (defaults in $BUILD/bench/linux/: vmlinuz, initramfs.cpio.gz with the
# benchmark programs, initramfs-apps.cpio.gz with redis-server and nginx).

# shellcheck shell=bash disable=SC2034 # the variables serve the scripts that source this
BENCH_LINUX_KERNEL=${BENCH_LINUX_KERNEL:-$BUILD/bench/linux/vmlinuz}
BENCH_LINUX_INITRD=${BENCH_LINUX_INITRD:-$BUILD/bench/linux/initramfs.cpio.gz}
BENCH_LINUX_APPS=${BENCH_LINUX_APPS:-$BUILD/bench/linux/initramfs-apps.cpio.gz}
# The kernel options every run has: the console on the UART QEMU relays,
# quiet, and a panic (out of memory, say) that ends QEMU at once (-no-reboot).
BENCH_LINUX_APPEND="console=ttyS0 quiet panic=-1"
# The two settings the issue asks for, by name: the kernel's options of each.
declare -A BENCH_LINUX_VARIANT=([default]="" [nomitig]="mitigations=off")
# What /init prints once the program has exited.
BENCH_LINUX_DONE="linux-guest: exit"

# Check that the Linux guest was built (bench/bench.mk builds it).
bench_linux_check()
{
	[[ -f $BENCH_LINUX_KERNEL && -f $BENCH_LINUX_INITRD ]] ||
		bench_die "the Linux guest is missing ($BENCH_LINUX_KERNEL, $BENCH_LINUX_INITRD): make bench builds it"
}

# Fill BENCH_LINUX_BASE with monos' QEMU command less its kernel, initrd,
# kernel options and the ACPI switch, and BENCH_TSC_KHZ with the host TSC
# frequency monos measured ("tsc N kHz" in its log).
bench_linux_init()
{
	local -a words
	local i log

	bench_linux_check
	mapfile -t words < <(bench_monos_qemu_argv)
	BENCH_LINUX_BASE=()
	for ((i = 0; i < ${#words[@]}; i++)); do
		case ${words[i]} in
		-kernel | -initrd) ((i++)) ;;
		-append)
			while ((i + 1 < ${#words[@]})) && [[ ${words[i + 1]} != -* ]]; do
				((i++))
			done
			;;
		microvm*) BENCH_LINUX_BASE+=("${words[i]//,acpi=off/}") ;;
		*) BENCH_LINUX_BASE+=("${words[i]}") ;;
		esac
	done
	log=$(timeout "$BENCH_TIMEOUT" "$BENCH_MONOS" run --verbose "$BENCH_HELLO" 2>&1 >/dev/null)
	[[ $log =~ tsc\ ([0-9]+)\ kHz ]] || bench_die "no 'tsc N kHz' in monos' log"
	BENCH_TSC_KHZ=${BASH_REMATCH[1]}
}

# Fill BENCH_LINUX_CMD with the command that boots the Linux guest and runs
# /bench/PROG ARGS: bench_linux_cmd VARIANT QEMU_EXTRA PROG [ARGS...].
# VARIANT is default or nomitig; QEMU_EXTRA holds more QEMU arguments as
# words (-icount ..., -m ..., -netdev ...); with -icount the TSC runs at
# 1 GHz and tsc_early_khz is left out.
bench_linux_cmd()
{
	local variant=$1 extra=$2 prog=$3 append=$BENCH_LINUX_APPEND

	shift 3
	[[ -n ${BENCH_LINUX_VARIANT[$variant]+set} ]] || bench_die "no Linux guest variant '$variant'"
	[[ $extra == *-icount* ]] || append+=" tsc_early_khz=$BENCH_TSC_KHZ"
	[[ -n ${BENCH_LINUX_VARIANT[$variant]} ]] && append+=" ${BENCH_LINUX_VARIANT[$variant]}"
	# shellcheck disable=SC2206 # QEMU_EXTRA is words
	BENCH_LINUX_CMD=("${BENCH_LINUX_BASE[@]}" $extra -kernel "$BENCH_LINUX_KERNEL"
		-initrd "$BENCH_LINUX_INITRD" -append "$append -- /bench/$prog${*:+ $*}")
}

# The last command of bench_linux_cmd, quoted for the reports.
bench_linux_cmd_text()
{
	local w out=""

	for w in "${BENCH_LINUX_CMD[@]}"; do
		[[ $w == *' '* ]] && w="\"$w\""
		out+="$w "
	done
	echo "${out% }"
}

# The network device monos attaches (--net user), for the Linux guest with
# QEMU's port forward HOST -> GUEST: bench_linux_net HOST GUEST.
bench_linux_net()
{
	echo "-netdev user,id=net0,hostfwd=tcp:127.0.0.1:$1-:$2 -device virtio-net-device,netdev=net0"
}

# Give the last command of bench_linux_cmd the memory $1 (QEMU's -m value,
# e.g. 64M) instead of monos' default.
bench_linux_set_mem()
{
	local i

	for ((i = 0; i < ${#BENCH_LINUX_CMD[@]} - 1; i++)); do
		[[ ${BENCH_LINUX_CMD[i]} == -m ]] && BENCH_LINUX_CMD[i + 1]=$1
	done
}

# Give the listening sockets of QEMU process $1 (the host ends of hostfwd)
# the host's full accept queue, as `monos run` does for its own QEMU
# (cli/qemu.c, qemu_widen_listen_queues): libslirp listens with a backlog of
# 1, and without this a load of many connections at once (wrk -c64,
# redis-benchmark's 50 clients) loses handshakes that complete only after
# seconds of SYN-ACK retransmits, a handicap of QEMU's, not of the Linux
# guest's.  Same mechanism: a copy of the descriptor (pidfd_getfd, a
# parent's ptrace right over its child) and a second listen().  Best effort.
bench_linux_widen()
{
	python3 - "$1" <<'PY' 2>/dev/null
import ctypes, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_pidfd_open, SYS_pidfd_getfd = 434, 438
pid = int(sys.argv[1])
pidfd = libc.syscall(SYS_pidfd_open, pid, 0)
for name in os.listdir("/proc/%d/fd" % pid):
    try:
        if not os.readlink("/proc/%d/fd/%s" % (pid, name)).startswith("socket:"):
            continue
    except OSError:
        continue
    fd = libc.syscall(SYS_pidfd_getfd, pidfd, int(name), 0)
    if fd < 0:
        continue
    s = socket.socket(fileno=fd)
    if (s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) and
            s.type == socket.SOCK_STREAM):
        s.listen(socket.SOMAXCONN)
    s.close()
PY
	return 0
}
