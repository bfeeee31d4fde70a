#!/usr/bin/env bash
# CLI test: monos.yaml (docs/manifest.md, cli/manifest.c).
# 1. Every example of docs/manifest.md, extracted from the page itself so
#    that the page cannot rot: each yaml block becomes monos.yaml in a
#    directory of its own (with greeting.txt beside it), each console block
#    after it is run there and its output (stdout and stderr together)
#    compared with the page's ("..." is any output; a line ending in "..."
#    matches by its start).
# 2. Every key cli/manifest.c reads has its own section in the page.
# 3. Bad manifests through the command: a refusal names file:line:key and
#    exits 125; a missing -f file says so.
# 4. examples/monos.yaml builds, and its image serves its page over HTTP.
. "$(dirname "$0")/lib/common.bash"

DOC=docs/manifest.md
ROOT=$PWD
export XDG_DATA_HOME=$scratch/xdg
RUN_TIMEOUT=120

# 1. The page's examples, as a list of directories: each holds monos.yaml
#    and, for each console block, cmdN (commands) and expectN (output).
python3 - "$DOC" "$scratch/examples" <<'PY'
import os, re, sys
doc, out = sys.argv[1], sys.argv[2]
blocks = re.findall(r"^```(\w+)\n(.*?)^```$", open(doc).read(), re.S | re.M)
n = -1
for lang, body in blocks:
    if lang == "yaml":
        n += 1
        d = os.path.join(out, "%02d" % n)
        os.makedirs(d)
        open(os.path.join(d, "monos.yaml"), "w").write(body)
        open(os.path.join(d, "greeting.txt"), "w").write("hello from a file\n")
        k = 0
    elif lang == "console" and n >= 0:
        cmd = None
        for line in body.splitlines():
            if line.startswith("$ "):
                k += 1
                cmd = os.path.join(d, "cmd%d" % k)
                open(cmd, "w").write(line[2:] + "\n")
                open(os.path.join(d, "expect%d" % k), "w").write("")
            elif cmd:
                open(os.path.join(d, "expect%d" % k), "a").write(line + "\n")
PY
# match EXPECT GOT: GOT's lines are EXPECT's, "..." alone any run of lines,
# "X..." any line starting with X.
match() {
	python3 - "$1" "$2" <<'PY'
import sys
exp = open(sys.argv[1]).read().splitlines()
got = open(sys.argv[2]).read().splitlines()
def m(e, g):
    if not e:
        return not g
    if e[0] == "...":
        return any(m(e[1:], g[i:]) for i in range(len(g) + 1))
    if not g:
        return False
    ok = g[0].startswith(e[0][:-3]) if e[0].endswith("...") else g[0] == e[0]
    return ok and m(e[1:], g[1:])
sys.exit(0 if m(exp, got) else 1)
PY
}
nex=0
for d in "$scratch"/examples/*/; do
	for cmd in "$d"cmd*; do
		[ -e "$cmd" ] || continue
		nex=$((nex + 1))
		line=$(cat "$cmd")
		(cd "$d" && eval "timeout -k 5 $RUN_TIMEOUT $MONOS ${line#monos }") >"$scratch/got" 2>&1
		rc=$?
		out=$(cat "$scratch/got")
		err=""
		check "docs/manifest.md example $(basename "$d"): $line" \
			match "${cmd/cmd/expect}" "$scratch/got"
	done
done
check "docs/manifest.md has at least 10 commands to run ($nex)" [ "$nex" -ge 10 ]

# 2. Every key of the reader's table is documented in a section of its own.
keys=$(sed -n '/^} keys\[\] = {/,/^};/p' cli/manifest.c | grep -o '{ "[a-z]*"' | cut -d'"' -f2)
check "cli/manifest.c's key table was found" [ -n "$keys" ]
for k in $keys; do
	check "docs/manifest.md documents '$k'" grep -qx "### \`$k\`" "$DOC"
done

# 3. Refusals through the command: status 125, file:line:key.
mkdir -p "$scratch/bad" && cd "$scratch/bad" || exit 1
printf 'program: /bin/true\nmemory: 12Q\n' >monos.yaml
run "$MONOS" run -f monos.yaml
check "run -f: a bad memory is refused with file:line:key" \
	eval 'status_is 125 && err_matches "^monos: monos.yaml:2: memory: --memory 12Q: not a size"'
printf 'program: /bin/true\nvolumes: ["nosuchvol:/data"]\n' >other.yaml
run "$MONOS" build -f other.yaml
check "build: a named volume need not exist yet" eval 'status_is 0 && grep -q "^sha256:" "$scratch/out"'
run "$MONOS" run -f other.yaml
check "run -f: ... but it must when the instance runs" \
	eval 'status_is 125 && err_matches "no volume named nosuchvol"'
run "$MONOS" run -f missing.yaml
check "run -f: a missing manifest is named" eval 'status_is 125 && err_matches "missing.yaml: No such file"'
run "$MONOS" build
check "build: without -f, ./monos.yaml is read" \
	eval 'status_is 125 && err_matches "^monos: monos.yaml:2: memory:"'
printf 'program: /no/such/program\n' >monos.yaml
run "$MONOS" build
check "build: a program that is not there is named" \
	eval 'status_is 125 && err_matches "/no/such/program"'

# 4. The example manifest: python3's http.server from an image.
cd "$ROOT" || exit 1
if [ -d /usr/lib/python3.11 ] && [ -x /usr/bin/python3 ]; then
	run "$MONOS" build -f examples/monos.yaml -t www
	check "examples/monos.yaml builds" status_is 0
	port=$(free_port)
	timeout -k 5 "$RUN_TIMEOUT" "$MONOS" run -p "$port:8000" www >"$scratch/www.out" 2>&1 &
	pid=$!
	for _ in $(seq 1 90); do
		curl -s "http://127.0.0.1:$port/" >"$scratch/page" 2>/dev/null && break
		sleep 1
	done
	check "examples/monos.yaml: the image serves examples/www/index.html" \
		cmp -s "$scratch/page" examples/www/index.html
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
else
	echo "ok examples/monos.yaml: skipped, Debian 12's python3.11 is not installed"
fi
finish
