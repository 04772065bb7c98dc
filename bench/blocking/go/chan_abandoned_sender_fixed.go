// Go twin of fixtures/debug/chan_abandoned_sender_fixed.cc (weave: clean).
// A buffer of one, so the late send completes and the worker ends even though nobody receives.
package main

func run() int {
	result := make(chan int, 1)
	start := make(chan struct{})
	done := make(chan struct{})
	go func() {
		<-start
		result <- 42
		close(done)
	}()
	select {
	case <-result:
	default:
		start <- struct{}{}
	}
	<-done
	return 0
}
