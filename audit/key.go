package audit

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/taktledger/takt/domain"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Names of the key files in a key directory (<data>/keys).
const (
	SignerKeyFile   = "checkpoint.key"  // the private key, 0600
	VerifierKeyFile = "checkpoint.vkey" // the public verifier key, for auditors
)

// DefaultKeyName names the key in the signature lines of a checkpoint.
const DefaultKeyName = "takt"

// Key signs a ledger's checkpoints. Its verifier key (VKey) is what an auditor checks them with.
type Key struct {
	Signer   note.Signer
	Verifier note.Verifier
	VKey     string // the verifier key in note format: name+hash+base64
}

// LoadKey reads the key in dir. It returns ENOTFOUND when dir holds none.
func LoadKey(dir string) (*Key, error) {
	skey, err := os.ReadFile(filepath.Join(dir, SignerKeyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, domain.NotFound("key", "There is no checkpoint key in %s.", dir)
	} else if err != nil {
		return nil, err
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		return nil, fmt.Errorf("audit: %s: %w", filepath.Join(dir, SignerKeyFile), err)
	}
	vkey, err := os.ReadFile(filepath.Join(dir, VerifierKeyFile))
	if err != nil {
		return nil, err
	}
	k := &Key{Signer: signer, VKey: strings.TrimSpace(string(vkey))}
	if k.Verifier, err = note.NewVerifier(k.VKey); err != nil {
		return nil, fmt.Errorf("audit: %s: %w", filepath.Join(dir, VerifierKeyFile), err)
	}
	if k.Verifier.Name() != signer.Name() || k.Verifier.KeyHash() != signer.KeyHash() {
		return nil, fmt.Errorf("audit: %s does not belong to %s", VerifierKeyFile, SignerKeyFile)
	}
	return k, nil
}

// LoadOrCreateKey reads the key in dir, or creates an ed25519 key named name there (the directory
// 0700, the private key 0600) when there is none. It reports whether it created one.
func LoadOrCreateKey(dir, name string) (*Key, bool, error) {
	k, err := LoadKey(dir)
	if domain.ErrorCode(err) != domain.ENOTFOUND {
		return k, false, err
	}
	if name == "" {
		name = DefaultKeyName
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, err
	}
	// The private key is written last and without replacing one, so two processes starting at once
	// cannot leave a verifier key that belongs to another private key.
	f, err := os.OpenFile(filepath.Join(dir, SignerKeyFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		k, err := LoadKey(dir)
		return k, false, err
	} else if err != nil {
		return nil, false, err
	}
	_, werr := f.WriteString(skey + "\n")
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return nil, false, err
	}
	if err := os.WriteFile(filepath.Join(dir, VerifierKeyFile), []byte(vkey+"\n"), 0o644); err != nil {
		return nil, false, err
	}
	k, err = LoadKey(dir)
	return k, err == nil, err
}

// Sign returns the signed checkpoint of tenant's tree of size events with the given root.
func (k *Key) Sign(tenant string, size uint64, root [32]byte) ([]byte, error) {
	return note.Sign(&note.Note{Text: FormatCheckpoint(Origin(tenant), size, root)}, k.Signer)
}

// ParseVerifierKey reads a verifier key given on a command line: the key itself
// (name+hash+base64), or the name of a file that holds it.
func ParseVerifierKey(s string) (note.Verifier, error) {
	s = strings.TrimSpace(s)
	if v, err := note.NewVerifier(s); err == nil {
		return v, nil
	}
	b, err := os.ReadFile(s)
	if err != nil {
		return nil, fmt.Errorf("%q is neither a verifier key nor a file that holds one: %w", s, err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s, err)
	}
	return v, nil
}

// Origin is the first line of a tenant's checkpoints: it names the log they are about.
func Origin(tenant string) string { return "takt/" + tenant }

// FormatCheckpoint returns the text of a checkpoint (C2SP tlog-checkpoint): the origin, the tree
// size in decimal and the root hash in standard base64, one per line.
func FormatCheckpoint(origin string, size uint64, root [32]byte) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, tlog.Hash(root))
}

// ParseCheckpoint reads the text of a checkpoint back. Extension lines after the root are allowed
// and ignored.
func ParseCheckpoint(text string) (origin string, size uint64, root [32]byte, err error) {
	lines := strings.SplitAfterN(text, "\n", 4)
	if len(lines) < 3 || !strings.HasSuffix(lines[2], "\n") {
		return "", 0, root, errors.New("a checkpoint has an origin, a size and a root hash, one per line")
	}
	origin = strings.TrimSuffix(lines[0], "\n")
	if origin == "" {
		return "", 0, root, errors.New("checkpoint has an empty origin line")
	}
	if _, err := fmt.Sscanf(lines[1], "%d\n", &size); err != nil || fmt.Sprintf("%d\n", size) != lines[1] {
		return "", 0, root, fmt.Errorf("checkpoint size %q is not a decimal number", strings.TrimSpace(lines[1]))
	}
	h, err := tlog.ParseHash(strings.TrimSuffix(lines[2], "\n"))
	if err != nil {
		return "", 0, root, fmt.Errorf("checkpoint root: %w", err)
	}
	return origin, size, h, nil
}
