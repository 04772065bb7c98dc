// Go twin of fixtures/debug/waitgroup_extra_add_fixed.cc (weave: clean).
// Add counts exactly the workers started.
package main

import (
	"sync"
)

func run() int {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { wg.Done() }()
	waited := make(chan struct{})
	go func() {
		wg.Wait()
		close(waited)
	}()
	<-waited
	return 0
}
