// Go twin of fixtures/debug/no_deadlock_timer_pending.cc (weave: clean).
// main blocks while every other goroutine sleeps; a pending timer will wake someone, so this is
// not a deadlock.
package main

import (
	"time"
)

func run() int {
	ch := make(chan int)
	go func() {
		time.Sleep(50 * time.Millisecond)
		ch <- 1
	}()
	<-ch
	return 0
}
