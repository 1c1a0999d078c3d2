package bench

import (
	"os"
	"testing"

	"github.com/taktledger/takt/internal/tune"
)

// TestMain runs the benchmarks with the runtime settings takt runs with.
func TestMain(m *testing.M) {
	tune.GC()
	os.Exit(m.Run())
}
