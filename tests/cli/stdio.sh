#!/usr/bin/env bash
# CLI test: stdin is piped to the program and ends with EOF, arguments keep
# their spaces and empty strings, -e variables reach the program, and
# relative program paths work.
. "$(dirname "$0")/lib/common.bash"

want=$(printf abc | "$GUEST/count")
run bash -c 'printf abc | "$0" run "$1"' "$MONOS" "$GUEST/count"
check "piped stdin reaches the program, then EOF" out_has "$want"
check "piped stdin: status 0" status_is 0

run bash -c 'cd "$1" && printf abc | "$0" run ./count' "$MONOS" "$GUEST"
check "relative path ./count" out_has "$want"

run "$MONOS" run "$GUEST/count" </dev/null
check "empty stdin" out_has "$(printf '' | "$GUEST/count")"

run "$MONOS" run -- "$GUEST/misc" "two words" "" " lead" 'q"uote'
check "args: two words" out_has 'argv[1]: "two words"'
check "args: empty string" out_has 'argv[2]: ""'
check "args: leading space" out_has 'argv[3]: " lead"'
check "args: quote" out_has 'argv[4]: "q"uote"'
check "args: argc" out_has 'argc: 5'

run "$MONOS" run -e K=V -e 'SPACED=a b' -e EMPTY= "$GUEST/misc"
check "-e K=V visible" out_has 'env: "K=V"'
check "-e with a space" out_has 'env: "SPACED=a b"'
check "-e with an empty value" out_has 'env: "EMPTY="'
# docker's defaults: PATH and HOSTNAME before the -e variables, HOME after.
check "the -e variables in order, with docker's defaults around them" \
	[ "$(grep '^env:' "$scratch/out" | tr '\n' ' ')" = 'env: "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" env: "HOSTNAME=monos" env: "K=V" env: "SPACED=a b" env: "EMPTY=" env: "HOME=/root" ' ]
run "$MONOS" run -e HOME=/data -e PATH=/bin "$GUEST/misc"
check "-e replaces a default" \
	[ "$(grep '^env:' "$scratch/out" | tr '\n' ' ')" = 'env: "HOSTNAME=monos" env: "HOME=/data" env: "PATH=/bin" ' ]
finish
