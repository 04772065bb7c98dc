// Go twin of fixtures/debug/lock_double_thread_fixed.cc (weave: clean).
// addTwice() holds the lock once and adds under it through a helper that expects it held; as in
// the bug's twin, all of it runs on the main goroutine (the C++ program's main thread).
package main

import (
	"sync"
)

var (
	mu      sync.Mutex
	counter int
)

func addLocked(n int) { counter += n } // mu must be held

func add(n int) {
	mu.Lock()
	defer mu.Unlock()
	addLocked(n)
}

func addTwice(n int) {
	mu.Lock()
	defer mu.Unlock()
	addLocked(n)
	addLocked(n)
}

func run() int {
	addTwice(1)
	add(1)
	if counter == 3 {
		return 0
	}
	return 1
}
