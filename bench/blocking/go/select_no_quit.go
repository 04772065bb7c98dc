// Go twin of fixtures/debug/select_no_quit.cc (weave: leak 1 select).
// A worker loops on a select over its work channel and a quit channel; the owner stops sending
// work but never closes quit.
package main

func run() int {
	work := make(chan int)
	quit := make(chan struct{})
	go func() {
		for {
			select {
			case <-work:
			case <-quit:
				return
			}
		}
	}()
	work <- 1
	work <- 2
	waitUntilBlocked(1) // the owner returns without closing quit
	return 0
}
