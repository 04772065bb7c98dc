// Go twin of fixtures/debug/lock_abc_fixed.cc (weave: clean).
// A stage that passes to a stage earlier in the ring takes that stage's lock first, so every
// stage locks in ring order.
package main

import (
	"sync"
)

type stage struct {
	index int
	mu    sync.Mutex
	items int
	next  *stage
}

func (s *stage) passOne() {
	first, second := &s.mu, &s.next.mu
	if s.index > s.next.index {
		first, second = second, first
	}
	first.Lock()
	second.Lock()
	s.items--
	s.next.items++
	second.Unlock()
	first.Unlock()
}

func run() int {
	a, b, c := &stage{index: 0, items: 1}, &stage{index: 1, items: 1}, &stage{index: 2, items: 1}
	a.next, b.next, c.next = b, c, a
	for _, s := range []*stage{a, b, c} {
		var wg sync.WaitGroup
		wg.Add(1)
		go func(s *stage) {
			s.passOne()
			wg.Done()
		}(s)
		wg.Wait()
	}
	if a.items+b.items+c.items == 3 {
		return 0
	}
	return 1
}
