// Go twin of fixtures/debug/lock_double_fixed.cc (weave: clean).
// The helper that expects the lock held is split from the one that takes it (Go's convention: a
// method whose name ends in Locked).
package main

import (
	"sync"
)

type cache struct {
	mu   sync.Mutex
	hits int
}

func (c *cache) sizeLocked() int { return c.hits } // mu must be held

func (c *cache) size() int {
	c.mu.Lock()
	n := c.sizeLocked()
	c.mu.Unlock()
	return n
}

func (c *cache) hit() {
	c.mu.Lock()
	c.hits++
	if c.sizeLocked() > 100 {
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
	if c.size() == 1 {
		return 0
	}
	return 1
}
