// Go twin of fixtures/debug/lock_rwr_no_writer.cc (weave: recursive-rlock).
// The recursive read lock of lock_rwr in a run where no writer ever comes: it cannot hang, but
// sync.RWMutex's documentation prohibits it because a writer arriving between the two read locks
// would deadlock both.
package main

import (
	"sync"
)

type stats struct {
	mu           sync.RWMutex
	hits, misses int
}

func (s *stats) total() int {
	s.mu.RLock()
	t := s.hits + s.misses
	s.mu.RUnlock()
	return t
}

func (s *stats) ratio() float64 {
	s.mu.RLock()
	r := float64(s.hits) / float64(s.total())
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
