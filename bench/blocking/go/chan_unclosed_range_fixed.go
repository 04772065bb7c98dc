// Go twin of fixtures/debug/chan_unclosed_range_fixed.cc (weave: clean).
// The producer closes the channel, and the consumer's range ends.
package main

func run() int {
	ch := make(chan int)
	sum := make(chan int, 1)
	go func() {
		s := 0
		for v := range ch {
			s += v
		}
		sum <- s
	}()
	for i := 0; i < 3; i++ {
		ch <- i
	}
	close(ch)
	<-sum
	return 0
}
