// Go twin of fixtures/debug/waitgroup_extra_add.cc (weave: leak 1 waitgroup wait).
// A collector waits for two workers, but only one is started (the Add counts one too many), so
// its Wait never returns.
package main

import (
	"sync"
)

func run() int {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { wg.Done() }()
	go func() { wg.Wait() }()
	waitUntilBlocked(1)
	return 0
}
