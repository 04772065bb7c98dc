// Go twin of fixtures/debug/lock_rw_upgrade.cc (weave: double-lock, deadlock).
// Upgrading a read lock to a write lock in place: the writer waits for every reader to leave,
// itself included, so it waits forever; main waits for the goroutine.
package main

import (
	"sync"
)

type registry struct {
	mu  sync.RWMutex
	ids map[string]int
}

func (r *registry) id(name string) int {
	r.mu.RLock()
	v, ok := r.ids[name]
	if !ok {
		r.mu.Lock() // still holds the read lock
		v = len(r.ids)
		r.ids[name] = v
		r.mu.Unlock()
	}
	r.mu.RUnlock()
	return v
}

func run() int {
	r := &registry{ids: map[string]int{}}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		r.id("a")
		wg.Done()
	}()
	wg.Wait()
	return 0
}
