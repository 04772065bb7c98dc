// Go twin of fixtures/debug/lock_double.cc (weave: double-lock, deadlock).
// A method that holds the lock calls a helper that takes it again; sync.Mutex is not reentrant,
// so the goroutine waits for itself forever and main waits for the goroutine.
package main

import (
	"sync"
)

type cache struct {
	mu   sync.Mutex
	hits int
}

func (c *cache) size() int {
	c.mu.Lock() // second lock by the same goroutine: it can never proceed
	n := c.hits
	c.mu.Unlock()
	return n
}

func (c *cache) hit() {
	c.mu.Lock()
	c.hits++
	if c.size() > 100 { // calls size() while holding mu
		c.hits = 0
	}
	c.mu.Unlock()
}

func run() int {
	c := &cache{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		c.hit()
		wg.Done()
	}()
	wg.Wait()
	return 0
}
