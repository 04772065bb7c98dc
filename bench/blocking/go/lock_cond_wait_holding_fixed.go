// Go twin of fixtures/debug/lock_cond_wait_holding_fixed.cc (weave: clean).
// The waiter takes tableMu only once its wait is over, so every goroutine takes tableMu under mu.
package main

import (
	"sync"
)

type table struct {
	mu      sync.Mutex
	changed *sync.Cond
	tableMu sync.Mutex
	rows    int
	ready   bool
}

func run() int {
	t := &table{}
	t.changed = sync.NewCond(&t.mu)
	waiting := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		t.mu.Lock()
		waiting <- struct{}{}
		for !t.ready {
			t.changed.Wait()
		}
		t.tableMu.Lock()
		t.rows++
		t.tableMu.Unlock()
		t.mu.Unlock()
		wg.Done()
	}()
	go func() {
		<-waiting
		t.mu.Lock()
		t.ready = true
		t.changed.Signal()
		t.mu.Unlock()
		wg.Done()
	}()
	wg.Wait()
	t.mu.Lock()
	t.tableMu.Lock()
	rows := t.rows
	t.tableMu.Unlock()
	t.mu.Unlock()
	if rows == 1 {
		return 0
	}
	return 1
}
