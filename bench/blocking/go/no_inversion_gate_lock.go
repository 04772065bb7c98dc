// Go twin of fixtures/debug/no_inversion_gate_lock.cc (weave: clean).
// Two goroutines take a and b in opposite orders, but always under the same outer lock (a gate),
// so they can never hold one each and wait for the other.
package main

import (
	"sync"
)

type table struct {
	gate sync.Mutex // held by every operation that takes more than one row lock
	a, b sync.Mutex
	x, y int
}

func (t *table) moveXToY() {
	t.gate.Lock()
	t.a.Lock()
	t.b.Lock()
	t.y += t.x
	t.x = 0
	t.b.Unlock()
	t.a.Unlock()
	t.gate.Unlock()
}

func (t *table) moveYToX() {
	t.gate.Lock()
	t.b.Lock()
	t.a.Lock()
	t.x += t.y
	t.y = 0
	t.a.Unlock()
	t.b.Unlock()
	t.gate.Unlock()
}

func run() int {
	t := &table{x: 5}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		for i := 0; i < 100; i++ {
			t.moveXToY()
		}
		wg.Done()
	}()
	go func() {
		for i := 0; i < 100; i++ {
			t.moveYToX()
		}
		wg.Done()
	}()
	wg.Wait()
	if t.x+t.y == 5 {
		return 0
	}
	return 1
}
