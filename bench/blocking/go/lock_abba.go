// Go twin of fixtures/debug/lock_abba.cc (weave: lock-order-inversion).
// AB-BA: transfer() locks the source account, then the destination. Two transfers in opposite
// directions take the two locks in opposite orders; this run does them one after the other and
// never hangs.
package main

import (
	"sync"
)

type account struct {
	mu      sync.Mutex
	balance int
}

func transfer(from, to *account, amount int) {
	from.mu.Lock()
	to.mu.Lock()
	from.balance -= amount
	to.balance += amount
	to.mu.Unlock()
	from.mu.Unlock()
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
	alice, bob := &account{balance: 100}, &account{balance: 100}
	runTransfer(alice, bob, 10)
	runTransfer(bob, alice, 20)
	if alice.balance == 110 && bob.balance == 90 {
		return 0
	}
	return 1
}
