// Go twin of fixtures/debug/lock_abba_fixed.cc (weave: clean).
// Every transfer locks the two accounts in one global order (by id).
package main

import (
	"sync"
)

type account struct {
	id      int
	mu      sync.Mutex
	balance int
}

func transfer(from, to *account, amount int) {
	first, second := from, to
	if from.id > to.id {
		first, second = to, from
	}
	first.mu.Lock()
	second.mu.Lock()
	from.balance -= amount
	to.balance += amount
	second.mu.Unlock()
	first.mu.Unlock()
}

func runTransfer(from, to *account, amount int) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		transfer(from, to, amount)
		wg.Done()
	}()
	wg.Wait()
}

func run() int {
	alice, bob := &account{id: 1, balance: 100}, &account{id: 2, balance: 100}
	runTransfer(alice, bob, 10)
	runTransfer(bob, alice, 20)
	if alice.balance == 110 && bob.balance == 90 {
		return 0
	}
	return 1
}
