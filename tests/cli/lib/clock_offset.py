#!/usr/bin/env python3
"""Measure how far a monos guest's CLOCK_REALTIME is from the host's, over time.

Runs `MONOS run GUEST/clockecho` and asks it for its time by round trips
through stdin/stdout: the host reads its own CLOCK_REALTIME just before it
sends a line (t0) and just after the answer g arrives (t1).  The guest read
its clock somewhere in [t0, t1], so g - (t0 + t1) / 2 is the guest's offset
within +- (t1 - t0) / 2.  Of ROUNDS round trips in a burst, the one with the
shortest round trip is kept (the least disturbed by scheduling and the UART).

Usage: clock_offset.py MONOS CLOCKECHO SECONDS [INTERVAL]
  A burst 3 s after start, then one every INTERVAL seconds (default: SECONDS),
  the last at SECONDS.  Prints one line per burst:
    "at T s: offset O ms +- E ms (rtt R ms)"
  then "drift D ms +- E ms over T s (P ppm)": the last offset minus the
  first, E the sum of their error bars.
Exit status 0, or 2 when the guest does not answer.
"""
import subprocess
import sys
import time

ROUNDS = 40


def burst(proc):
    best = None
    for _ in range(ROUNDS):
        t0 = time.clock_gettime_ns(time.CLOCK_REALTIME)
        proc.stdin.write(b"t\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        t1 = time.clock_gettime_ns(time.CLOCK_REALTIME)
        if not line:
            sys.exit("clock_offset: the guest ended early")
        sec, nsec = line.decode().strip().split(".")
        g = int(sec) * 10**9 + int(nsec)
        if best is None or t1 - t0 < best[0]:
            best = (t1 - t0, g - (t0 + t1) // 2)
    return best


def main():
    monos, echo, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    interval = float(sys.argv[4]) if len(sys.argv) > 4 else seconds
    proc = subprocess.Popen([monos, "run", echo], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, bufsize=0)
    # The first burst 3 s after start: by then the kernel has taken the
    # host's time over the channel (a few exchanges at boot) and its first
    # two samples (1 and 2 s) have taken the calibration's error away.
    time.sleep(3)
    start = time.monotonic()
    first = first_err = None
    at = 0.0
    while True:
        rtt, off = burst(proc)
        if first is None:
            first, first_err = off, rtt / 2
        print("at %.0f s: offset %.3f ms +- %.3f ms (rtt %.3f ms)" %
              (at, off / 1e6, rtt / 2e6, rtt / 1e6), flush=True)
        if at >= seconds:
            break
        at = min(at + interval, seconds)
        time.sleep(max(0.0, start + at - time.monotonic()))
        at = time.monotonic() - start
    drift = off - first
    at = max(at, 1e-9)
    print("drift %.3f ms +- %.3f ms over %.0f s (%.1f ppm)" %
          (drift / 1e6, (first_err + rtt / 2) / 1e6, at, drift / at / 1e3),
          flush=True)
    proc.stdin.close()
    proc.wait(timeout=30)


if __name__ == "__main__":
    main()
