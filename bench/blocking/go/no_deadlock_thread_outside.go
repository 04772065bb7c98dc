// Go twin of fixtures/debug/no_deadlock_thread_outside.cc (weave: clean).
// The C++ program's plain std::thread, busy outside weave, is a goroutine here (Go has no thread
// outside its scheduler): main blocks while it spins, and it wakes main.
package main

import (
	"runtime"
	"sync/atomic"
)

func run() int {
	ch := make(chan int)
	var goOn atomic.Bool
	joined := make(chan struct{}) // stands for std::thread::join
	go func() {
		for !goOn.Load() {
			runtime.Gosched() // std::this_thread::yield
		}
		ch <- 1
		close(joined)
	}()
	go func() { goOn.Store(true) }()
	<-ch
	<-joined
	return 0
}
