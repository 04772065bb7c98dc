// What every Go twin shares, built with each (compare.sh): main, which runs the twin's run(),
// fixtures/debug/blocked.h's wait_until_blocked, and goleak's check.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

func main() {
	code := run()
	goleakMethod()
	os.Exit(code)
}

// blockedStates are the wait reasons runtime.Stack prints for a goroutine parked on a channel,
// a select or a sync primitive (Mutex, RWMutex, WaitGroup park in "semacquire" up to Go 1.19;
// later releases name them).
var blockedStates = map[string]bool{
	"chan send": true, "chan receive": true, "chan send (nil chan)": true,
	"chan receive (nil chan)": true, "select": true, "select (no cases)": true,
	"semacquire": true, "sync.Cond.Wait": true, "sync.Mutex.Lock": true,
	"sync.RWMutex.RLock": true, "sync.RWMutex.Lock": true, "sync.WaitGroup.Wait": true,
}

// otherGoroutineStates returns the state of every goroutine but the caller. runtime.Stack lists
// the caller first and leaves out the runtime's own goroutines.
func otherGoroutineStates() []string {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var states []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		open, end := strings.Index(g, "["), strings.Index(g, "]:")
		if i == 0 || !strings.HasPrefix(g, "goroutine ") || open < 0 || end < open {
			continue
		}
		state := g[open+1 : end]
		if comma := strings.Index(state, ", "); comma >= 0 {
			state = state[:comma] // drops the wait's duration or ", locked to thread"
		}
		states = append(states, state)
	}
	return states
}

// waitUntilBlocked is fixtures/debug/blocked.h's wait_until_blocked: it yields until n other
// goroutines are parked, so that the interleaving the program is about happens on every run.
func waitUntilBlocked(n int) {
	for {
		blocked := 0
		for _, s := range otherGoroutineStates() {
			if blockedStates[s] {
				blocked++
			}
		}
		if blocked >= n {
			return
		}
		runtime.Gosched()
	}
}

// goleakMethod reimplements the check of goleak.VerifyNone (go.uber.org/goleak), whose module
// cannot be fetched offline: it looks for goroutines other than the caller (runtime.Stack already
// filters the runtime's own), retrying with goleak's doubling, capped backoff so that goroutines
// about to end are not counted, and gives up after a second.
func goleakMethod() {
	deadline := time.Now().Add(time.Second)
	delay := time.Microsecond
	left := len(otherGoroutineStates())
	for left > 0 && time.Now().Before(deadline) {
		time.Sleep(delay)
		if delay *= 2; delay > 100*time.Millisecond {
			delay = 100 * time.Millisecond
		}
		left = len(otherGoroutineStates())
	}
	fmt.Fprintf(os.Stderr, "goleak-method: %d goroutines left\n", left)
}
