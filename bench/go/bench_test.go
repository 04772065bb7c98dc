package weavebench

// One benchmark operation is one batch of fixed size (the constants below, the same as in
// bench/workloads.h), reported as the "batch" metric; bench/run.sh divides ns/op by it to get the
// time per round trip / goroutine / message / lock. Every operation starts its own goroutines and
// joins them, exactly as the weave side does.

import (
	"sync"
	"testing"
)

const (
	pingPongRounds   = 100000  // round trips per op
	spawnFibers      = 1000000 // goroutines started and joined per op
	bufferedMessages = 1000000 // messages per op through a channel of capacity 128
	bufferedCap      = 128
	selectMessages   = 400000 // messages per op, over 4 channels (100000 per producer)
	mutexFibers      = 1000   // goroutines contending for one mutex
	mutexLocks       = 1000   // lock/increment/unlock per goroutine
	skynetSize       = 1000000
	skynetDiv        = 10
	fanInMessages    = 400000 // messages per op, from 4 producers
)

var sink int64

// 1. Two goroutines, one int each way over unbuffered channels.
func pingPong(rounds int) {
	ping := make(chan int)
	pong := make(chan int)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		for i := 0; i < rounds; i++ {
			ping <- i
			<-pong
		}
		wg.Done()
	}()
	go func() {
		for i := 0; i < rounds; i++ {
			v := <-ping
			pong <- v
		}
		wg.Done()
	}()
	wg.Wait()
}

func BenchmarkPingPong(b *testing.B) {
	for i := 0; i < b.N; i++ {
		pingPong(pingPongRounds)
	}
	b.ReportMetric(pingPongRounds, "batch")
}

// 2. A driver goroutine starts n goroutines that only call wg.Done(), then waits for them.
func spawnJoin(n int) {
	done := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		wg.Add(n)
		for i := 0; i < n; i++ {
			go func() { wg.Done() }()
		}
		wg.Wait()
		close(done)
	}()
	<-done
}

func BenchmarkSpawnJoin(b *testing.B) {
	for i := 0; i < b.N; i++ {
		spawnJoin(spawnFibers)
	}
	b.ReportMetric(spawnFibers, "batch")
}

// 3. One producer, one consumer, a channel of capacity 128.
func buffered(n int) {
	ch := make(chan int, bufferedCap)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		for i := 0; i < n; i++ {
			ch <- i
		}
		wg.Done()
	}()
	go func() {
		var sum int64
		for i := 0; i < n; i++ {
			sum += int64(<-ch)
		}
		sink = sum
		wg.Done()
	}()
	wg.Wait()
}

func BenchmarkBuffered(b *testing.B) {
	for i := 0; i < b.N; i++ {
		buffered(bufferedMessages)
	}
	b.ReportMetric(bufferedMessages, "batch")
}

// 4. Four producers, each on its own unbuffered channel; one consumer selects over the four.
func select4(n int) {
	var chans [4]chan int
	for k := range chans {
		chans[k] = make(chan int)
	}
	var wg sync.WaitGroup
	wg.Add(5)
	for k := 0; k < 4; k++ {
		ch := chans[k]
		count := n / 4
		if k < n%4 {
			count++
		}
		go func() {
			for i := 0; i < count; i++ {
				ch <- i
			}
			wg.Done()
		}()
	}
	go func() {
		var sum int64
		for i := 0; i < n; i++ {
			var v int
			select {
			case v = <-chans[0]:
			case v = <-chans[1]:
			case v = <-chans[2]:
			case v = <-chans[3]:
			}
			sum += int64(v)
		}
		sink = sum
		wg.Done()
	}()
	wg.Wait()
}

func BenchmarkSelect4(b *testing.B) {
	for i := 0; i < b.N; i++ {
		select4(selectMessages)
	}
	b.ReportMetric(selectMessages, "batch")
}

// 5. 1000 goroutines, each locking one mutex 1000 times to increment a counter.
func mutexContended(fibers, locks int) {
	var mu sync.Mutex
	counter := 0
	var wg sync.WaitGroup
	wg.Add(fibers)
	for f := 0; f < fibers; f++ {
		go func() {
			for i := 0; i < locks; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	if counter != fibers*locks {
		panic("mutex: lost increments")
	}
}

func BenchmarkMutex(b *testing.B) {
	for i := 0; i < b.N; i++ {
		mutexContended(mutexFibers, mutexLocks)
	}
	b.ReportMetric(mutexFibers*mutexLocks, "batch")
}

// 6. Skynet: each level starts 10 children; leaves send their number, parents send the sum.
func skynet(c chan<- int64, num, size, div int64) {
	if size == 1 {
		c <- num
		return
	}
	rc := make(chan int64)
	sub := size / div
	for i := int64(0); i < div; i++ {
		go skynet(rc, num+i*sub, sub, div)
	}
	var sum int64
	for i := int64(0); i < div; i++ {
		sum += <-rc
	}
	c <- sum
}

func BenchmarkSkynet(b *testing.B) {
	for i := 0; i < b.N; i++ {
		c := make(chan int64)
		go skynet(c, 0, skynetSize, skynetDiv)
		if sum := <-c; sum != skynetSize*(skynetSize-1)/2 {
			panic("skynet: wrong sum")
		}
	}
	b.ReportMetric(1, "batch")
}

// 7. Fan-in: 4 producers send on one unbuffered channel; the benchmark goroutine itself receives
// all n, as a Go main that collects results does (weave measures this consumer as a fiber and as
// a plain thread).
func fanIn(n int) {
	ch := make(chan int)
	var wg sync.WaitGroup
	wg.Add(4)
	var want int64
	for k := 0; k < 4; k++ {
		count := n / 4
		if k < n%4 {
			count++
		}
		want += int64(count) * int64(count-1) / 2
		go func() {
			for i := 0; i < count; i++ {
				ch <- i
			}
			wg.Done()
		}()
	}
	var sum int64
	for i := 0; i < n; i++ {
		sum += int64(<-ch)
	}
	wg.Wait()
	if sum != want {
		panic("fan-in: wrong sum")
	}
	sink = sum
}

func BenchmarkFanIn(b *testing.B) {
	for i := 0; i < b.N; i++ {
		fanIn(fanInMessages)
	}
	b.ReportMetric(fanInMessages, "batch")
}
