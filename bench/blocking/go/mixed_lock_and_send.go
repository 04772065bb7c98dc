// Go twin of fixtures/debug/mixed_lock_and_send.cc (weave: leak 1 chan send, 1 mutex lock).
// A producer sends while holding a mutex; its consumer must take the same mutex before it
// receives. Each waits for the other.
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
		ch <- 1 // holds mu while it waits for the consumer
		mu.Unlock()
	}()
	<-locked
	go func() {
		mu.Lock() // waits for the producer
		defer mu.Unlock()
		<-ch
	}()
	waitUntilBlocked(2)
	return 0
}
