// Go twin of fixtures/debug/lock_abba_hang.cc (weave: lock-order-inversion, deadlock).
// The two transfers overlapping, forced with channels: each goroutine takes its first lock, both
// say so, then both go for their second lock; main waits for both.
package main

import (
	"sync"
)

type account struct {
	mu      sync.Mutex
	balance int
}

func transfer(from, to *account, amount int, holding, goOn chan struct{}) {
	from.mu.Lock()
	holding <- struct{}{}
	<-goOn
	to.mu.Lock()
	from.balance -= amount
	to.balance += amount
	to.mu.Unlock()
	from.mu.Unlock()
}

func run() int {
	alice, bob := &account{balance: 100}, &account{balance: 100}
	holding := make(chan struct{})
	goOn := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		transfer(alice, bob, 10, holding, goOn)
		wg.Done()
	}()
	go func() {
		transfer(bob, alice, 20, holding, goOn)
		wg.Done()
	}()
	<-holding
	<-holding
	close(goOn)
	wg.Wait()
	return 0
}
