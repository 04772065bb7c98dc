// Go twin of fixtures/debug/no_rlock_shared_readers.cc (weave: clean).
// Several goroutines hold the read lock of one RWMutex at the same time, a writer queues behind
// them, and each reader then takes a Mutex under its read lock. Forced: every reader holds the
// read lock before the writer starts, and the readers go on only once it waits.
package main

import (
	"runtime"
	"sync"
)

const readers = 4

type config struct {
	mu          sync.RWMutex
	logMu       sync.Mutex // taken under mu's read lock
	version     int
	readsLogged int
}

func run() int {
	c := &config{version: 1}
	reading := make(chan struct{})
	goOn := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(readers + 1)
	for i := 0; i < readers; i++ {
		go func() {
			c.mu.RLock()
			reading <- struct{}{}
			<-goOn
			c.logMu.Lock()
			c.readsLogged += c.version
			c.logMu.Unlock()
			c.mu.RUnlock()
			wg.Done()
		}()
	}
	for i := 0; i < readers; i++ {
		<-reading
	}
	go func() {
		c.mu.Lock() // waits for the readers
		c.version++
		c.mu.Unlock()
		wg.Done()
	}()
	for c.mu.TryRLock() { // until the writer queues
		c.mu.RUnlock()
		runtime.Gosched()
	}
	close(goOn)
	wg.Wait()
	if c.readsLogged == readers && c.version == 2 {
		return 0
	}
	return 1
}
