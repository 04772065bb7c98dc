// Go twin of fixtures/debug/chan_unclosed_range.cc (weave: leak 1 chan receive).
// A consumer ranges over a channel its producer never closes; it waits for a next value forever.
package main

func run() int {
	ch := make(chan int)
	sum := make(chan int, 1)
	go func() {
		s := 0
		for v := range ch { // never ends: nobody closes ch
			s += v
		}
		sum <- s
	}()
	for i := 0; i < 3; i++ {
		ch <- i
	}
	waitUntilBlocked(1)
	return 0
}
