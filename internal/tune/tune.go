// Package tune holds the settings of Go's runtime that takt runs with, in its commands and in its
// benchmarks alike, so that what the benchmarks measure is what takt does.
package tune

import (
	"os"
	"runtime/debug"
)

// GCPercent is the collector's target: a collection starts once the heap has grown by this much
// of what the last one left live (Go's default is 100).
//
// takt's live heap is small beside what its reads allocate: a projection's index of versions is a
// few dozen megabytes, a goal tree read allocates about a megabyte and a goal's history more. At
// Go's default a collection runs every few dozen reads, marks while they run and slows the ones it
// overlaps: with 400, the goal tree's p99 on a million events fell from 6.1–6.3 to 3.8–4.5 ms
// (docs/performance.md). A rebuild, which allocates much and keeps little, uses 13 % less CPU.
// The price is memory: the heap may grow to five times what is live, where Go's default lets it
// grow to twice.
const GCPercent = 400

// GC sets the collector's target to GCPercent, unless the environment sets GOGC, which takes
// precedence as it does for any Go program. GOMEMLIMIT bounds the heap either way.
func GC() {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(GCPercent)
	}
}
