// Go twin of fixtures/debug/select_no_quit_fixed.cc (weave: clean).
// The owner closes quit, and waits for the worker to see it.
package main

func run() int {
	work := make(chan int)
	quit := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
	loop:
		for {
			select {
			case <-work:
			case <-quit:
				break loop
			}
		}
		close(stopped)
	}()
	work <- 1
	work <- 2
	close(quit)
	<-stopped
	return 0
}
