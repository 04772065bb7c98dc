// Go twin of fixtures/debug/no_inversion_hand_over_hand.cc (weave: clean).
// Hand-over-hand locking down a linked list: every walker takes the nodes in list order, a chain
// and no cycle, however the walkers overlap (all are released at once).
package main

import (
	"sync"
)

type node struct {
	mu     sync.Mutex
	visits int
	next   *node
}

func walk(head *node) {
	head.mu.Lock()
	for n := head; n != nil; {
		n.visits++
		next := n.next
		if next != nil {
			next.mu.Lock()
		}
		n.mu.Unlock()
		n = next
	}
}

func run() int {
	var list [5]node
	for i := 0; i+1 < len(list); i++ {
		list[i].next = &list[i+1]
	}
	goOn := make(chan struct{})
	const walkers, walks = 3, 20
	var wg sync.WaitGroup
	wg.Add(walkers)
	for w := 0; w < walkers; w++ {
		go func() {
			<-goOn
			for i := 0; i < walks; i++ {
				walk(&list[0])
			}
			wg.Done()
		}()
	}
	close(goOn)
	wg.Wait()
	for i := range list {
		if list[i].visits != walkers*walks {
			return 1
		}
	}
	return 0
}
