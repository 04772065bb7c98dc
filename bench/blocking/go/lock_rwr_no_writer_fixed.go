// Go twin of fixtures/debug/lock_rwr_no_writer_fixed.cc (weave: clean).
// ratio() reads the counters under its one read lock.
package main

import (
	"sync"
)

type stats struct {
	mu           sync.RWMutex
	hits, misses int
}

func (s *stats) totalLocked() int { return s.hits + s.misses } // mu must be held

func (s *stats) ratio() float64 {
	s.mu.RLock()
	r := float64(s.hits) / float64(s.totalLocked())
	s.mu.RUnlock()
	return r
}

func run() int {
	s := &stats{hits: 3, misses: 1}
	r := 0.0
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		r = s.ratio()
		wg.Done()
	}()
	wg.Wait()
	if r == 0.75 {
		return 0
	}
	return 1
}
