// Go twin of fixtures/debug/global_deadlock_fixed.cc (weave: clean).
// main releases the workers before it waits for them.
package main

import (
	"sync"
)

func run() int {
	var wg sync.WaitGroup
	goAhead := make(chan struct{})
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-goAhead
		}()
	}
	close(goAhead)
	wg.Wait()
	return 0
}
