package tune

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestGCLeavesAGOGCOfTheEnvironmentAlone(t *testing.T) {
	before := debug.SetGCPercent(123)
	defer debug.SetGCPercent(before)

	t.Setenv("GOGC", "123")
	GC()
	if got := debug.SetGCPercent(123); got != 123 {
		t.Errorf("with GOGC set, the target is %d, want 123", got)
	}

	os.Unsetenv("GOGC")
	GC()
	if got := debug.SetGCPercent(123); got != GCPercent {
		t.Errorf("without GOGC, the target is %d, want %d", got, GCPercent)
	}
}
