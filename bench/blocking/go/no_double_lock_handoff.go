// Go twin of fixtures/debug/no_double_lock_handoff.cc (weave: clean).
// "A locked Mutex is not associated with a particular goroutine": a goroutine locks mu, hands the
// job to a worker that unlocks it when done, and then locks mu again; a reporter takes stats and
// then mu.
package main

import (
	"sync"
)

func run() int {
	var mu, stats sync.Mutex
	result, jobsDone := 0, 0
	jobs := make(chan int)
	done := make(chan struct{})
	go func() {
		for n := range jobs {
			result += n
			mu.Unlock() // the job's lock, taken by the goroutine that sent it
			done <- struct{}{}
		}
	}()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		for n := 1; n <= 3; n++ {
			mu.Lock()
			jobs <- n
			<-done
			stats.Lock() // mu was released by the worker
			jobsDone++
			stats.Unlock()
		}
		mu.Lock() // every job's lock was released by the worker
		mu.Unlock()
		close(jobs)
		wg.Done()
	}()
	wg.Wait()
	stats.Lock()
	mu.Lock()
	reported := result
	mu.Unlock()
	stats.Unlock()
	if reported == 6 && jobsDone == 3 {
		return 0
	}
	return 1
}
