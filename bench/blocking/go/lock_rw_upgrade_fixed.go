// Go twin of fixtures/debug/lock_rw_upgrade_fixed.cc (weave: clean).
// Release the read lock, take the write lock, and look again (another writer may have added the
// name in between).
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
	if v, ok := r.ids[name]; ok {
		r.mu.RUnlock()
		return v
	}
	r.mu.RUnlock()
	r.mu.Lock()
	v, ok := r.ids[name]
	if !ok {
		v = len(r.ids)
		r.ids[name] = v
	}
	r.mu.Unlock()
	return v
}

func run() int {
	r := &registry{ids: map[string]int{}}
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b", "a"} {
		wg.Add(1)
		go func(name string) {
			r.id(name)
			wg.Done()
		}(name)
	}
	wg.Wait()
	if r.id("b") == r.id("b") {
		return 0
	}
	return 1
}
