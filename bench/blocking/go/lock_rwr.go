// Go twin of fixtures/debug/lock_rwr.cc (weave: recursive-rlock, deadlock).
// RWR, the deadlock sync.RWMutex's documentation warns of: a goroutine holding a read lock takes
// it again while a writer waits; the second read lock queues behind the writer, which waits for
// the first. Forced: the reader takes its second read lock only once a writer is queued
// (TryRLock fails from that moment on).
package main

import (
	"runtime"
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

func (s *stats) ratio(reading chan struct{}) float64 {
	s.mu.RLock()
	reading <- struct{}{}
	for s.mu.TryRLock() { // until the writer queues
		s.mu.RUnlock()
		runtime.Gosched()
	}
	r := 0.0
	if s.total() != 0 {
		r = float64(s.hits) / float64(s.total())
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
	return 0
}
