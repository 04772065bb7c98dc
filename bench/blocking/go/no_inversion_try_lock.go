// Go twin of fixtures/debug/no_inversion_try_lock.cc (weave: clean).
// A goroutine that holds a takes b only with TryLock, and backs off when b is busy, while another
// holds b and waits for a: opposite orders, but TryLock never waits, so they cannot deadlock.
package main

import (
	"sync"
)

var (
	a, b  sync.Mutex
	moved int
)

func opportunistic() {
	a.Lock()
	if b.TryLock() {
		moved++
		b.Unlock()
	}
	a.Unlock()
}

func blocking() {
	b.Lock()
	a.Lock()
	moved++
	a.Unlock()
	b.Unlock()
}

func run() int {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		for i := 0; i < 50; i++ {
			opportunistic()
		}
		wg.Done()
	}()
	go func() {
		for i := 0; i < 50; i++ {
			blocking()
		}
		wg.Done()
	}()
	wg.Wait()
	if moved >= 50 {
		return 0
	}
	return 1
}
