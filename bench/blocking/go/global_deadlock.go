// Go twin of fixtures/debug/global_deadlock.cc (weave: deadlock).
// The whole program stuck: main waits for workers that wait for main.
package main

import (
	"sync"
)

func run() int {
	var wg sync.WaitGroup
	goAhead := make(chan struct{})
	for i := 0; i < 2; i++ {
		wg.Add(1) // weave's wg.go(f): Add, then a goroutine that runs f and calls Done
		go func() {
			defer wg.Done()
			<-goAhead
		}()
	}
	wg.Wait() // the workers wait for goAhead, which main would close after this
	close(goAhead)
	return 0
}
