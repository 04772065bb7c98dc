// Go twin of fixtures/debug/mixed_lock_and_send_fixed.cc (weave: clean).
// The producer sends after it unlocks.
package main

import (
	"sync"
)

func run() int {
	var mu sync.Mutex
	ch := make(chan int)
	locked := make(chan struct{})
	go func() {
		mu.Lock()
		close(locked)
		mu.Unlock()
		ch <- 1
	}()
	<-locked
	got := make(chan int, 1)
	go func() {
		mu.Lock()
		mu.Unlock()
		got <- <-ch
	}()
	<-got
	return 0
}
