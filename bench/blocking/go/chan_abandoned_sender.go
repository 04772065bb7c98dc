// Go twin of fixtures/debug/chan_abandoned_sender.cc (weave: leak 1 chan send).
// A worker sends its result on an unbuffered channel, but the caller has already given up (its
// select took the default case), so nothing will ever receive.
package main

func run() int {
	result := make(chan int)
	start := make(chan struct{})
	go func() {
		<-start
		result <- 42 // blocks forever: the caller left
	}()
	// The caller's timeout, forced: the result cannot be ready before the worker starts.
	select {
	case <-result:
	default:
		start <- struct{}{}
	}
	waitUntilBlocked(1)
	return 0
}
