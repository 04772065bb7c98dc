// Go twin of fixtures/debug/no_double_lock_cond_wait.cc (weave: clean).
// Cond.Wait releases its mutex while it waits and takes it again before it returns, so a consumer
// that waits in a loop under the lock holds it once. The consumer waits first (it says so under
// the lock, and the producer can only take the lock once the Wait has released it).
package main

import (
	"sync"
)

type queue struct {
	mu       sync.Mutex
	nonempty *sync.Cond
	items    []int
}

func run() int {
	q := &queue{}
	q.nonempty = sync.NewCond(&q.mu)
	sum := 0
	waiting := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		q.mu.Lock()
		waiting <- struct{}{} // buffered: the producer may read it while mu is held
		for got := 0; got < 3; got++ {
			for len(q.items) == 0 {
				q.nonempty.Wait()
			}
			sum += q.items[0]
			q.items = q.items[1:]
		}
		q.mu.Unlock()
		wg.Done()
	}()
	go func() {
		<-waiting
		for n := 1; n <= 3; n++ {
			q.mu.Lock() // only once the consumer's Wait has released it
			q.items = append(q.items, n)
			q.nonempty.Signal()
			q.mu.Unlock()
		}
		wg.Done()
	}()
	wg.Wait()
	if sum == 6 {
		return 0
	}
	return 1
}
