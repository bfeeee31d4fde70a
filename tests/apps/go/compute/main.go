// A compute program for monos' Go application test (tests/apps/go.sh): many
// goroutines, channels, a WaitGroup, timers and sleeps, a forced GC, files
// under /proc/self, and hashing.  Everything it prints is deterministic, so
// its stdout natively and inside monos must be byte for byte the same.
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// fanout starts n goroutines that each hash their own block and send the
// digest back; the sum over all digests is independent of scheduling.
func fanout(n int) {
	var wg sync.WaitGroup
	out := make(chan [32]byte, 16)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			block := bytes.Repeat([]byte{byte(i), byte(i >> 8)}, 512+i)
			out <- sha256.Sum256(block)
		}(i)
	}
	go func() { wg.Wait(); close(out) }()
	var digests []string
	for d := range out {
		digests = append(digests, fmt.Sprintf("%x", d))
	}
	sort.Strings(digests)
	fmt.Printf("fanout: %d goroutines, digest of digests %x\n", len(digests),
		sha256.Sum256([]byte(strings.Join(digests, ""))))
}

// pipeline passes numbers through a chain of goroutines joined by
// unbuffered channels, each adding its stage number.
func pipeline(stages, values int) {
	in := make(chan int)
	var c <-chan int = in
	for s := 0; s < stages; s++ {
		next := make(chan int)
		go func(s int, from <-chan int, to chan<- int) {
			for v := range from {
				to <- v + s
			}
			close(to)
		}(s, c, next)
		c = next
	}
	go func() {
		for v := 0; v < values; v++ {
			in <- v
		}
		close(in)
	}()
	sum := 0
	for v := range c {
		sum += v
	}
	fmt.Printf("pipeline: %d stages, %d values, sum %d\n", stages, values, sum)
}

// timers checks that sleeps, timers and tickers never fire early.  Only
// counts are printed: with several Ps, callbacks that fall due together
// may run in any order, natively too.
func timers() {
	start := time.Now()
	var mu sync.Mutex
	early := 0
	var wg sync.WaitGroup
	for _, ms := range []int{40, 10, 30, 20} {
		wg.Add(1)
		d := time.Duration(ms) * time.Millisecond
		time.AfterFunc(d, func() {
			mu.Lock()
			if time.Since(start) < d {
				early++
			}
			mu.Unlock()
			wg.Done()
		})
	}
	time.Sleep(5 * time.Millisecond)
	wg.Wait()
	tk := time.NewTicker(2 * time.Millisecond)
	for i := 0; i < 5; i++ {
		<-tk.C
	}
	tk.Stop()
	el := time.Since(start)
	fmt.Printf("timers: 4 fired, %d early; ticker and sleep not early: %v\n", early,
		el >= 50*time.Millisecond)
}

// garbage allocates, drops and collects, then checks the GC ran.
func garbage() {
	var keep [][]byte
	for i := 0; i < 2000; i++ {
		b := make([]byte, 4096+i)
		b[0] = byte(i)
		if i%100 == 0 {
			keep = append(keep, b)
		}
	}
	before := debug.SetGCPercent(100)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	debug.FreeOSMemory()
	fmt.Printf("gc: kept %d blocks, gc ran: %v, percent was %d\n", len(keep), ms.NumGC > 0, before)
}

// procfs reads the files Go programs commonly read about themselves.
func procfs() {
	exe, err := os.Readlink("/proc/self/exe")
	fmt.Printf("proc: /proc/self/exe readable: %v, absolute: %v\n", err == nil,
		strings.HasPrefix(exe, "/"))
	cmd, err := os.ReadFile("/proc/self/cmdline")
	args := strings.Split(strings.TrimSuffix(string(cmd), "\x00"), "\x00")
	fmt.Printf("proc: cmdline err %v, args after argv[0] %q\n", err, args[1:])
	st, err := os.ReadFile("/proc/self/status")
	fmt.Printf("proc: status err %v, has Name: %v, has VmRSS: %v\n", err,
		bytes.Contains(st, []byte("\nName:")) || bytes.HasPrefix(st, []byte("Name:")),
		bytes.Contains(st, []byte("\nVmRSS:")))
	maps, err := os.ReadFile("/proc/self/maps")
	fmt.Printf("proc: maps err %v, has [stack]: %v\n", err, bytes.Contains(maps, []byte("[stack]")))
}

// procs runs a CPU-bound job on GOMAXPROCS workers: the counts must add up.
func procs() {
	old := runtime.GOMAXPROCS(4)
	fmt.Printf("gomaxprocs: previous >= 1: %v, now %d\n", old >= 1, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			n := 0
			for i := 0; i < 3000000; i++ { // long enough to be preempted
				n += (i ^ w) & 1
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	fmt.Printf("gomaxprocs: total %d\n", total)
}

// faults turns hardware faults into recovered panics: Go's SIGSEGV and
// SIGFPE handlers rewrite the interrupted context to call into the runtime.
func faults() {
	var p *[1 << 10]int
	zero := len(os.Args) - len(os.Args) // not a constant: no compile error
	for _, f := range []func(){
		func() { p[100] = 1 },
		func() { fmt.Println(100 / zero) },
	} {
		func() {
			defer func() { fmt.Printf("faults: recovered %v\n", recover()) }()
			f()
		}()
	}
}

// threads pins goroutines to OS threads that block in raw system calls at
// the same time: the runtime must clone a thread for each.
func threads(n int) {
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			ts := syscall.Timespec{Nsec: 200e6}
			syscall.Nanosleep(&ts, nil)
		}()
	}
	wg.Wait()
	// One after another they would take n * 200 ms.
	fmt.Printf("threads: %d blocked at once: %v\n", n,
		time.Since(start) < time.Duration(n)*150*time.Millisecond)
}

// signals sends itself signals through kill and tgkill; signal.Notify
// delivers them on a channel.
func signals() {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGUSR1, syscall.SIGHUP)
	syscall.Kill(os.Getpid(), syscall.SIGUSR1)
	fmt.Printf("signals: got %v\n", <-c)
	syscall.Tgkill(os.Getpid(), syscall.Gettid(), syscall.SIGHUP)
	fmt.Printf("signals: got %v\n", <-c)
	signal.Stop(c)
}

// files moves data through a pipe (the netpoller) and a file in /tmp.
func files() {
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Println("files: pipe:", err)
		return
	}
	data := bytes.Repeat([]byte("pipe"), 100000)
	go func() { w.Write(data); w.Close() }()
	got, err := io.ReadAll(r)
	fmt.Printf("files: pipe moved %d bytes intact: %v (%v)\n", len(got), bytes.Equal(got, data), err)
	f, err := os.CreateTemp("/tmp", "go-*.dat")
	if err == nil {
		f.Write(data[:5000])
		f.Seek(100, io.SeekStart)
		b := make([]byte, 8)
		f.Read(b)
		f.Close()
		err = os.Remove(f.Name())
		fmt.Printf("files: tmp file read back %q, removed: %v\n", b, err == nil)
	}
	rnd := make([]byte, 32)
	n, err := rand.Read(rnd)
	fmt.Printf("files: crypto/rand %d bytes, err %v\n", n, err)
}

func main() {
	fmt.Printf("args: %q\n", os.Args[1:])
	if len(os.Args) > 1 && os.Args[1] == "panic" {
		// An unrecovered panic: a goroutine dump on stderr, exit status 2.
		var m map[string]int
		m["x"] = 1
	}
	fanout(1000)
	pipeline(50, 2000)
	timers()
	garbage()
	procfs()
	procs()
	faults()
	threads(32)
	signals()
	files()
	data := bytes.Repeat([]byte("monos"), 1<<18)
	fmt.Printf("sha256 of 1.25 MiB: %x\n", sha256.Sum256(data))
}
