#!/usr/bin/env bash
# CLI test: `podman kube play` of a Pod under build/monos-runtime (issue
# 10), against runc on the same Pod YAML.  The Pod's infra (pause)
# container is a container to the runtime too: it boots no VM (a pause
# process in the Pod's network namespace, cli/oci_pod.c), and the one
# application container's VM takes the namespace's interface.  Checked: a
# Pod with one application container prints what it prints under runc and
# ends with its status, the infra container ran under monos-runtime
# without a VM; a second application container in one Pod is refused at
# create with a clear error that podman shows; after `podman pod rm`
# nothing of either Pod is left (no process, no state directory, no tap).
# Skips (saying why) where podman or runc is missing or cannot run here.
. "$(dirname "$0")/lib/common.bash"

BUILD_DIR=${BUILD:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR
RT=$BUILD_DIR/monos-runtime
image=localhost/monos-kube-busybox:test

for tool in podman runc; do
	if ! command -v $tool >/dev/null; then
		echo "skip: $tool is not installed (scripts/deps.sh installs it)"
		finish
	fi
done
if [ "$(id -u)" != 0 ]; then
	echo "skip: podman's rootful mode is needed (user namespaces are not supported)"
	finish
fi
# podman's default ulimits are above this machine's (docs/oci.md): none.
printf '[containers]\ndefault_ulimits = []\n' >"$scratch/containers.conf"
export CONTAINERS_CONF=$scratch/containers.conf
mkdir -p "$scratch/img/bin" "$scratch/img/tmp" "$scratch/img/etc"
cp /bin/busybox "$scratch/img/bin/busybox"
for c in sh echo sleep cat; do ln -s busybox "$scratch/img/bin/$c"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$scratch/img/etc/passwd"
tar -C "$scratch/img" -cf "$scratch/img.tar" .
if ! podman import -q "$scratch/img.tar" "$image" >/dev/null 2>"$scratch/err"; then
	echo "skip: podman import failed: $(head -c 200 "$scratch/err")"
	finish
fi
pods=()
cleanup() {
	for p in "${pods[@]}"; do podman pod rm -f "$p" >/dev/null 2>&1; done
	podman rmi -f "$image" >/dev/null 2>&1
	rm -rf "$scratch"
}
trap cleanup EXIT

# pod NAME CONTAINERS...: a Pod YAML with one container per "NAME:SHELL-CMD".
pod() {
	local name=$1
	shift
	printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n  restartPolicy: Never\n  containers:\n' "$name"
	for c in "$@"; do
		printf '  - name: %s\n    image: %s\n    command: ["/bin/sh", "-c", "%s"]\n' "${c%%:*}" "$image" "${c#*:}"
		printf '    env:\n    - name: PATH\n      value: /bin\n'
	done
}

# play NAME RUNTIME: kube play of $scratch/NAME.yaml, then wait for the
# application container NAME-app to exit: its logs in $scratch/NAME.log and
# its status in $scratch/NAME.status.
play() {
	local name=$1 rt=$2
	pods+=("$name")
	run podman --runtime "$rt" kube play "$scratch/$name.yaml"
	[ "$rc" -eq 0 ] && timeout 120 podman wait "$name-app" >/dev/null 2>&1
	podman logs "$name-app" >"$scratch/$name.log" 2>&1
	podman inspect --format '{{.State.ExitCode}}' "$name-app" >"$scratch/$name.status" 2>&1
}

pod kruncpod "app:echo hello from the pod; exit 5" >"$scratch/kruncpod.yaml"
play kruncpod "$(command -v runc)"
if [ "$rc" -ne 0 ]; then
	echo "skip: podman kube play cannot run runc here: ${err:0:200}"
	finish
fi
pod kmonospod "app:echo hello from the pod; exit 5" >"$scratch/kmonospod.yaml"
play kmonospod "$RT"
check "kube play under monos-runtime: status 0" status_is 0
check "the app's output as under runc" cmp "$scratch/kruncpod.log" "$scratch/kmonospod.log"
check "the app's status as under runc (5)" eval 'grep -qx 5 "$scratch/kmonospod.status" && cmp -s "$scratch/kruncpod.status" "$scratch/kmonospod.status"'
infra=$(podman pod inspect --format '{{.InfraContainerID}}' kmonospod 2>/dev/null)
check "the infra container ran under monos-runtime" \
	eval '[ -n "$infra" ] && podman inspect --format "{{.OCIRuntime}}" "$infra" | grep -q monos-runtime'

# Two application containers in one Pod: the second is refused, and
# podman says why.
pod kmonos2 "one:sleep 20" "two:sleep 20" >"$scratch/kmonos2.yaml"
pods+=(kmonos2)
run podman --runtime "$RT" kube play "$scratch/kmonos2.yaml"
check "a second monos container in a Pod: kube play fails" eval '[ "$rc" -ne 0 ]'
check "... podman shows the runtime's reason" err_matches 'already has a monos container.*a Pod holds one monos container'

# Nothing left once the Pods are removed.
ids=$(podman ps -a -q --no-trunc --filter pod=kmonospod --filter pod=kmonos2 2>/dev/null)
podman pod rm -f kmonospod kmonos2 >/dev/null 2>&1
check "some containers were listed" eval '[ -n "$ids" ]'
left=""
for id in $ids; do
	pgrep -f "$id" >/dev/null && left+=" process:$id"
	[ -n "$(find /run -maxdepth 4 -name "$id" 2>/dev/null)" ] && left+=" dir:$id"
done
check "no process or state directory of the Pods' containers left" eval '[ -z "$left" ] || { echo "left:$left"; false; }'
finish
