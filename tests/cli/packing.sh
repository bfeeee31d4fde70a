#!/usr/bin/env bash
# CLI test: what `monos run` packs, compared with the host.  Every path a
# user can name on the host packs as that file: on a merged-/usr host (/bin
# -> usr/bin, /bin/sh -> dash) `--file /bin/sh` and `--file /bin/dash` once
# failed (ELOOP, and a kernel that could not build the image's tree).
. "$(dirname "$0")/lib/common.bash"

GUEST_TIMEOUT=${GUEST_TIMEOUT:-120}

# mrun ARGS...: `monos run ARGS` under the guest watchdog.
mrun() {
	run timeout -k 5 "$GUEST_TIMEOUT" "$MONOS" run "$@"
}

sh_real=$(readlink -f /bin/sh)
mrun --file /bin/sh -- /bin/true
check "--file /bin/sh (a symlink, maybe under a symlinked /bin): status 0" status_is 0
mrun --file "$sh_real" -- /bin/true
check "--file $sh_real: status 0" status_is 0
mrun --file /bin/sh -- /bin/sh -c 'echo $((6 * 7)); test -x /bin/sh && echo runs'
check "/bin/sh runs from the image" eval '[ "$out" = "$(printf "42\nruns")" ] && status_is 0'
mrun --file /bin/sh:/opt/shell -- /bin/sh -c '[ -f /opt/shell ] && [ ! -L /opt/shell ] && echo 42'
check "--file /bin/sh:/opt/shell: the link's target, a file, at GUEST" eval '[ "$out" = 42 ]'
finish
