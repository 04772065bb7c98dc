// Go twin of fixtures/debug/context_never_cancelled_fixed.cc (weave: clean).
// The cancel runs when the starter is done with the watcher.
package main

import (
	"context"
)

func run() int {
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		<-ctx.Done()
		close(stopped)
	}()
	cancel()
	<-stopped
	return 0
}
