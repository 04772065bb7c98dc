// Go twin of fixtures/debug/lock_rwr_fixed.cc (weave: clean).
// ratio() reads the counters under its one read lock, with the same forced interleaving: the
// writer is queued while the reader holds its lock, and gets in once it is released.
package main

import (
	"runtime"
	"sync"
)

type stats struct {
	mu           sync.RWMutex
	hits, misses int
}

func (s *stats) totalLocked() int { return s.hits + s.misses } // mu must be held

func (s *stats) ratio(reading chan struct{}) float64 {
	s.mu.RLock()
	reading <- struct{}{}
	for s.mu.TryRLock() { // until the writer queues
		s.mu.RUnlock()
		runtime.Gosched()
	}
	r := 0.0
	if s.totalLocked() != 0 {
		r = float64(s.hits) / float64(s.totalLocked())
	}
	s.mu.RUnlock()
	return r
}

func (s *stats) hit() {
	s.mu.Lock()
	s.hits++
	s.mu.Unlock()
}

func run() int {
	s := &stats{}
	reading := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		s.ratio(reading)
		wg.Done()
	}()
	<-reading
	go func() {
		s.hit()
		wg.Done()
	}()
	wg.Wait()
	if s.hits == 1 {
		return 0
	}
	return 1
}
