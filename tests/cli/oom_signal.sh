#!/usr/bin/env bash
# CLI test: a signal that arrives when the program has taken every frame
# ends the program as out of memory (status 137, as Linux's OOM killer),
# not as a SIGSEGV of its own (tests/guest/oom_signal.c, `oom_signal fill`:
# mlock takes all memory, then a handled SIGUSR1).  Regression test for
# tests/fuzz/sysfuzz seed 1029, where the signal frame's XSAVE image could
# not be allocated and the program died of SIGSEGV.
. "$(dirname "$0")/lib/common.bash"

run "$MONOS" run --memory 64M "$GUEST/oom_signal" fill
check "mlock of more than the memory: EAGAIN" out_has "mlock: EAGAIN"
check "the signal ends the program as out of memory: status 137" status_is 137
check "... and says so" err_matches 'out of memory'
finish
