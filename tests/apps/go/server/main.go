// A net/http server for monos' Go application test (tests/apps/go.sh): the
// Go runtime's netpoller (epoll, eventfd), its many threads (clone, futex),
// preemption signals and timers, all behind ordinary HTTP handlers.  It
// listens on the address given as the first argument and shuts down
// gracefully on SIGTERM: in-flight requests finish, then it exits 0.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// streamSize is the size of /stream's body: 1 MiB in 64 KiB chunks.
const streamSize = 1 << 20
const chunkSize = 64 << 10

var requests atomic.Int64

// chunk returns the i-th chunk of /stream: deterministic bytes the client
// can recompute, so a reordered or dropped chunk is detected.
func chunk(i int) []byte {
	b := make([]byte, chunkSize)
	for j := range b {
		b[j] = byte(i*7 + j*13)
	}
	return b
}

// hello answers a small JSON document that echoes the query.
func hello(w http.ResponseWriter, r *http.Request) {
	requests.Add(1)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"hello":  "monos",
		"name":   r.URL.Query().Get("name"),
		"method": r.Method,
		"proto":  r.Proto,
		"alive":  runtime.NumGoroutine() > 0,
	})
}

// stream writes 1 MiB without a Content-Length (chunked encoding), flushing
// each chunk, with its SHA-256 in a trailer.
func stream(w http.ResponseWriter, r *http.Request) {
	requests.Add(1)
	w.Header().Set("Trailer", "X-Sha256")
	w.Header().Set("Content-Type", "application/octet-stream")
	h := sha256.New()
	for i := 0; i < streamSize/chunkSize; i++ {
		c := chunk(i)
		h.Write(c)
		if _, err := w.Write(c); err != nil {
			return
		}
		w.(http.Flusher).Flush()
	}
	w.Header().Set("X-Sha256", hex.EncodeToString(h.Sum(nil)))
}

// slow waits ?ms= milliseconds on a timer in another goroutine, which hands
// the answer back over a channel: timers and goroutine wake-ups together.
func slow(w http.ResponseWriter, r *http.Request) {
	requests.Add(1)
	ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
	if err != nil || ms < 0 || ms > 10000 {
		http.Error(w, "bad ms", http.StatusBadRequest)
		return
	}
	if ms >= 1000 {
		// tests/apps/go.sh waits for this line before it sends SIGTERM.
		log.Printf("slow request of %d ms started", ms)
	}
	done := make(chan string, 1)
	start := time.Now()
	go func() {
		t := time.NewTimer(time.Duration(ms) * time.Millisecond)
		<-t.C
		done <- fmt.Sprintf("slept %d ms", ms)
	}()
	msg := <-done
	if time.Since(start) < time.Duration(ms)*time.Millisecond {
		msg = "woke too early"
	}
	fmt.Fprintln(w, msg)
}

func main() {
	addr := ":8080"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", hello)
	mux.HandleFunc("/stream", stream)
	mux.HandleFunc("/slow", slow)
	srv := &http.Server{Handler: mux}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	stopped := make(chan struct{})
	go func() {
		s := <-sig
		log.Printf("got %v: shutting down", s)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			log.Printf("shutdown: %v", err)
		}
		close(stopped)
	}()
	log.Printf("listening on %s", ln.Addr())
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		log.Fatal(err)
	}
	<-stopped
	fmt.Printf("served %d requests, bye\n", requests.Load())
}
