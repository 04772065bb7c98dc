// Package weavebench holds the Go side of weave's benchmarks: the same workloads as
// bench/*.cc, written with the standard library only. Run them through bench/run.sh, which
// also runs the weave side and prints the ratio weave/Go.
package weavebench
