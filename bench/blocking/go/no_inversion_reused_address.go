// Go twin of fixtures/debug/no_inversion_reused_address.cc (weave: clean).
// A lock is an instance, not an address: swapUnderLocks() makes two mutexes and locks them in the
// order its argument says; called twice from the same place, its second pair may sit at the first
// pair's addresses, locked in the opposite order. The program checks that the addresses really
// were reused (else it proves nothing and fails). Go moves m1 and m2 to the heap (Lock's slow
// path hands their address to the runtime), so the reuse the C++ program gets from its stack
// frame need not happen here, and then this check fails as the C++ one would.
package main

import (
	"sync"
	"unsafe"
)

var (
	firstSeen uintptr // an address only, so that it keeps nothing alive
	reused    bool
)

//go:noinline
func swapUnderLocks(reverse bool) int {
	var m1, m2 sync.Mutex
	if addr := uintptr(unsafe.Pointer(&m1)); firstSeen == 0 {
		firstSeen = addr
	} else {
		reused = firstSeen == addr
	}
	outer, inner := &m1, &m2
	order := 1
	if reverse {
		outer, inner = &m2, &m1
		order = 2
	}
	outer.Lock()
	inner.Lock()
	inner.Unlock()
	outer.Unlock()
	return order
}

func run() int {
	sum := 0
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		for _, reverse := range []bool{false, true} {
			sum += swapUnderLocks(reverse)
		}
		wg.Done()
	}()
	wg.Wait()
	if sum == 3 && reused {
		return 0
	}
	return 1
}
