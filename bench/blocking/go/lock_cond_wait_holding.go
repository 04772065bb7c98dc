// Go twin of fixtures/debug/lock_cond_wait_holding.cc (weave: lock-order-inversion).
// Waiting on a Cond while holding another lock: Wait releases mu but not tableMu, and takes mu
// back while holding tableMu (tableMu -> mu), where the reporter at the end takes tableMu under mu
// (mu -> tableMu). The signaller needs only mu, so this run gets through. Forced: the signaller
// starts once the waiter waits (it says so under mu, which only its Wait releases).
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
		t.tableMu.Lock()
		waiting <- struct{}{}
		for !t.ready {
			t.changed.Wait() // still holds tableMu
		}
		t.rows++
		t.tableMu.Unlock()
		t.mu.Unlock()
		wg.Done()
	}()
	go func() {
		<-waiting
		t.mu.Lock() // once the waiter's Wait has released it
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
