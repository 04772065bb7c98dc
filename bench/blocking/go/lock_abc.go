// Go twin of fixtures/debug/lock_abc.cc (weave: lock-order-inversion).
// A ring of three stages, each locking its own buffer and then the next one's: no pair is
// inverted, only the whole ring is a cycle. The stages run one after the other here.
package main

import (
	"sync"
)

type stage struct {
	mu    sync.Mutex
	items int
	next  *stage
}

func (s *stage) passOne() {
	s.mu.Lock()
	s.next.mu.Lock()
	s.items--
	s.next.items++
	s.next.mu.Unlock()
	s.mu.Unlock()
}

func run() int {
	a, b, c := &stage{items: 1}, &stage{items: 1}, &stage{items: 1}
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
