// Go twin of fixtures/debug/context_never_cancelled.cc (weave: leak 1 chan receive).
// A watcher waits for its context to be done, but the cancel function is dropped without being
// called (go vet's lostcancel; go build does not run vet): Done() is never closed.
package main

import (
	"context"
)

func startWatcher() {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-ctx.Done() }()
	_ = cancel
}

func run() int {
	startWatcher()
	waitUntilBlocked(1)
	return 0
}
