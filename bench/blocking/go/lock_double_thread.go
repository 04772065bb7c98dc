// Go twin of fixtures/debug/lock_double_thread.cc (weave: double-lock, deadlock).
// The C++ program's plain thread is its main thread, outside any fiber; here it is the main
// goroutine, which locks a Mutex it already holds and blocks alone.
package main

import (
	"sync"
)

var (
	mu      sync.Mutex
	counter int
)

func add(n int) {
	mu.Lock()
	defer mu.Unlock()
	counter += n
}

func addTwice(n int) {
	mu.Lock()
	defer mu.Unlock()
	add(n) // locks mu again
	add(n)
}

func run() int {
	addTwice(1)
	return counter
}
