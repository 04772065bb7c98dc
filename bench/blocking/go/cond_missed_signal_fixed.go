// Go twin of fixtures/debug/cond_missed_signal_fixed.cc (weave: clean).
// The waiter waits only while the condition does not hold.
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
	cond.Signal()
	mu.Unlock()
	done := make(chan struct{})
	go func() {
		mu.Lock()
		for !ready {
			cond.Wait()
		}
		mu.Unlock()
		close(done)
	}()
	<-done
	return 0
}
