// Go twin of fixtures/debug/cond_missed_signal.cc (weave: leak 1 cond wait).
// The signal is sent before the waiter waits, and the waiter waits without checking the condition
// first; a Cond keeps no signal for later.
package main

import (
	"sync"
)

func run() int {
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	ready := false
	mu.Lock()
	ready = true
	cond.Signal() // nobody waits yet: lost
	mu.Unlock()
	go func() {
		mu.Lock()
		defer mu.Unlock()
		cond.Wait() // the bug: waits without looking at ready
	}()
	waitUntilBlocked(1)
	_ = ready
	return 0
}
