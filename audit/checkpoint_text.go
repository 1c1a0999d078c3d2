package audit

import (
	"bytes"
	"errors"
)

// ReadCheckpoint reads the size and root of a signed checkpoint WITHOUT checking its signature:
// for the ledger reading back what it published itself. An auditor uses Verify.
func ReadCheckpoint(signed []byte) (origin string, size uint64, root [32]byte, err error) {
	i := bytes.Index(signed, []byte("\n\n"))
	if i < 0 {
		return "", 0, root, errors.New("not a signed note")
	}
	return ParseCheckpoint(string(signed[:i+1]))
}
