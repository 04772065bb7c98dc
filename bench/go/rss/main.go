// Command rss measures the resident memory of parked goroutines: it starts N goroutines that
// each block receiving on one shared channel, reads VmRSS before and after (runtime.GC() before
// each reading), prints (after-before)/N in bytes on stdout, then releases them and exits.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

func vmRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := s.Text(); strings.HasPrefix(line, "VmRSS:") {
			fields := strings.Fields(line) // "VmRSS:", "<n>", "kB"
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				panic(err)
			}
			return kb * 1024
		}
	}
	panic("no VmRSS in /proc/self/status")
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: rss N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || n <= 0 {
		fmt.Fprintln(os.Stderr, "rss: N must be a positive integer")
		os.Exit(2)
	}
	gate := make(chan struct{})
	var started, finished sync.WaitGroup

	runtime.GC()
	before := vmRSS()
	started.Add(n)
	finished.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			started.Done()
			<-gate
			finished.Done()
		}()
	}
	started.Wait()
	time.Sleep(100 * time.Millisecond) // the last few reach <-gate
	runtime.GC()
	after := vmRSS()

	close(gate)
	finished.Wait()
	fmt.Fprintf(os.Stderr, "go: %d goroutines parked: VmRSS %d kB -> %d kB\n", n, before/1024, after/1024)
	fmt.Printf("%.1f\n", float64(after-before)/float64(n))
}
