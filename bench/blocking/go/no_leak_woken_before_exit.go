// Go twin of fixtures/debug/no_leak_woken_before_exit.cc (weave: clean).
// A goroutine woken just before main returns is runnable, not blocked.
package main

func run() int {
	ch := make(chan int, 1)
	go func() { <-ch }()
	waitUntilBlocked(1)
	ch <- 1 // wakes it; main returns before it can run
	return 0
}
