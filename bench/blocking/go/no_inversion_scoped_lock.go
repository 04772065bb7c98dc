// Go twin of fixtures/debug/no_inversion_scoped_lock.cc (weave: clean).
// Two goroutines lock the same two mutexes in opposite orders, but as std::scoped_lock does
// (scopedLock below), so no goroutine ever waits while holding a lock. Both are released at once
// and lock many times, so that their calls overlap.
package main

import (
	"sync"
)

var (
	a, b sync.Mutex
	x, y int
)

// scopedLock is std::lock's algorithm, which std::scoped_lock uses: it waits only for its first
// lock and merely tries the other, backing off and starting again from the one that was busy.
func scopedLock(first, second *sync.Mutex) {
	for {
		first.Lock()
		if second.TryLock() {
			return
		}
		first.Unlock()
		first, second = second, first
	}
}

func aToB() {
	scopedLock(&a, &b)
	y++
	x--
	b.Unlock()
	a.Unlock()
}

func bToA() {
	scopedLock(&b, &a)
	x++
	y--
	a.Unlock()
	b.Unlock()
}

func run() int {
	goOn := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		<-goOn
		for i := 0; i < 1000; i++ {
			aToB()
		}
		wg.Done()
	}()
	go func() {
		<-goOn
		for i := 0; i < 1000; i++ {
			bToA()
		}
		wg.Done()
	}()
	close(goOn)
	wg.Wait()
	if x == 0 && y == 0 {
		return 0
	}
	return 1
}
