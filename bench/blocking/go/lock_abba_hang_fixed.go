// Go twin of fixtures/debug/lock_abba_hang_fixed.cc (weave: clean).
// Both transfers are released at the same moment, but both take the lower id first, so there is
// no cycle.
package main

import (
	"sync"
)

type account struct {
	id      int
	mu      sync.Mutex
	balance int
}

// transfer says it is ready, and transfers once told to go on.
func transfer(from, to *account, amount int, ready, goOn chan struct{}) {
	first, second := from, to
	if from.id > to.id {
		first, second = to, from
	}
	ready <- struct{}{}
	<-goOn
	first.mu.Lock()
	second.mu.Lock()
	from.balance -= amount
	to.balance += amount
	second.mu.Unlock()
	first.mu.Unlock()
}

func run() int {
	alice, bob := &account{id: 1, balance: 100}, &account{id: 2, balance: 100}
	ready := make(chan struct{})
	goOn := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		transfer(alice, bob, 10, ready, goOn)
		wg.Done()
	}()
	go func() {
		transfer(bob, alice, 20, ready, goOn)
		wg.Done()
	}()
	<-ready
	<-ready
	close(goOn)
	wg.Wait()
	if alice.balance == 110 && bob.balance == 90 {
		return 0
	}
	return 1
}
