package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/taktledger/takt/domain"
)

// A stream backup is the directory `nats stream backup` writes and `nats stream restore` reads:
// BackupMetaFile holds the stream's configuration and state as the server gave them when the
// snapshot began ({"config": …, "state": …}), BackupDataFile the snapshot exactly as the server
// streamed it (an s2-compressed archive of the stream's store). BackupStream and RestoreStream
// speak the same JetStream API as the nats CLI, so a backup made by either restores with either.
const (
	BackupMetaFile = "backup.json"
	BackupDataFile = "stream.tar.s2"
)

// backupChunk is the size of the chunks a snapshot is sent and restored in: the nats CLI's.
const backupChunk = 128 * 1024

// Backup describes a stream backup: where it is, which stream, and the state of the stream when
// it was taken.
type Backup struct {
	Dir      string
	Stream   string
	Msgs     uint64
	FirstSeq uint64
	LastSeq  uint64
}

// backupMeta is the content of BackupMetaFile, and the body of a restore request.
type backupMeta = server.JSApiStreamRestoreRequest

// BackupStream writes a snapshot of the stream to dir, which it creates, in the format of
// `nats stream backup` (without consumers, as the nats CLI by default). The stream is snapshotted
// as it is when the request reaches the server; appends go on meanwhile. It returns ENOTFOUND for a
// stream that does not exist, and refuses a dir that already holds a backup.
func (s *Store) BackupStream(ctx context.Context, stream, dir string) (*Backup, error) {
	if s.Conn == nil {
		return nil, domain.Errorf(domain.EUNAVAILABLE, "The log has no NATS connection.")
	}
	path := filepath.Join(dir, BackupDataFile)
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("events: %s already holds a backup", dir)
	}
	var data *os.File
	meta, err := s.snapshot(ctx, stream, func() (io.Writer, error) {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%s already holds a backup", dir)
		}
		data = f
		return f, err
	})
	if data != nil {
		if err = errors.Join(err, data.Sync(), data.Close()); err != nil {
			os.Remove(path)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("events: backup of %s: %w", stream, err)
	}
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeFileSync(filepath.Join(dir, BackupMetaFile), b); err != nil {
		return nil, err
	}
	return backupOf(dir, meta), nil
}

// snapshot asks the server for a snapshot of the stream and writes it to the writer that open
// opens once the server has accepted, acknowledging each chunk as it is written: the server sends
// no more than its window ahead of the acknowledgements.
func (s *Store) snapshot(ctx context.Context, stream string, open func() (io.Writer, error)) (*backupMeta, error) {
	inbox := s.Conn.NewRespInbox()
	sub, err := s.Conn.SubscribeSync(inbox)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		return nil, err
	}
	var resp server.JSApiStreamSnapshotResponse
	req := server.JSApiStreamSnapshotRequest{DeliverSubject: inbox, NoConsumers: true, ChunkSize: backupChunk}
	if err := s.api(ctx, fmt.Sprintf(server.JSApiStreamSnapshotT, stream), req, &resp, &resp.ApiResponse); err != nil {
		return nil, err
	}
	if resp.Config == nil || resp.State == nil {
		return nil, errors.New("the server's answer holds no stream configuration")
	}
	w, err := open()
	if err != nil {
		return nil, err
	}
	for {
		mctx, cancel := s.rpc(ctx)
		m, err := sub.NextMsgWithContext(mctx)
		cancel()
		if err != nil {
			return nil, err
		}
		if len(m.Data) == 0 { // the end, with the server's verdict in the status header
			if status := m.Header.Get("Status"); status != "" && status != "204" {
				return nil, fmt.Errorf("the server ended the snapshot with %s %s", status, m.Header.Get("Description"))
			}
			return &backupMeta{Config: *resp.Config, State: *resp.State}, nil
		}
		if _, err := w.Write(m.Data); err != nil {
			return nil, err
		}
		if m.Reply != "" {
			if err := m.Respond(nil); err != nil {
				return nil, err
			}
		}
	}
}

// ReadBackup reads the description of the stream backup in dir. It returns ENOTFOUND when dir
// holds none.
func ReadBackup(dir string) (*Backup, error) {
	meta, err := readBackupMeta(dir)
	if err != nil {
		return nil, err
	}
	return backupOf(dir, meta), nil
}

func readBackupMeta(dir string) (*backupMeta, error) {
	b, err := os.ReadFile(filepath.Join(dir, BackupMetaFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, domain.NotFound("backup", "%s holds no stream backup (no %s).", dir, BackupMetaFile)
	} else if err != nil {
		return nil, err
	}
	var meta backupMeta
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil, fmt.Errorf("events: %s: %w", filepath.Join(dir, BackupMetaFile), err)
	}
	if meta.Config.Name == "" {
		return nil, fmt.Errorf("events: %s names no stream", filepath.Join(dir, BackupMetaFile))
	}
	if _, err := os.Stat(filepath.Join(dir, BackupDataFile)); err != nil {
		return nil, fmt.Errorf("events: %s has %s but no %s", dir, BackupMetaFile, BackupDataFile)
	}
	return &meta, nil
}

func backupOf(dir string, meta *backupMeta) *Backup {
	return &Backup{Dir: dir, Stream: meta.Config.Name, Msgs: meta.State.Msgs, FirstSeq: meta.State.FirstSeq, LastSeq: meta.State.LastSeq}
}

// RestoreStream restores the stream backed up in dir under its own name, as `nats stream restore`
// does; the stream must not exist. Replicas, when positive, replaces the backup's replicas and drops
// its placement: a cluster's backup restored on a single server.
func (s *Store) RestoreStream(ctx context.Context, dir string, replicas int) (*Backup, error) {
	if s.Conn == nil {
		return nil, domain.Errorf(domain.EUNAVAILABLE, "The log has no NATS connection.")
	}
	meta, err := readBackupMeta(dir)
	if err != nil {
		return nil, err
	}
	if replicas > 0 {
		meta.Config.Replicas, meta.Config.Placement = replicas, nil
	}
	data, err := os.Open(filepath.Join(dir, BackupDataFile))
	if err != nil {
		return nil, err
	}
	defer data.Close()
	if err := s.restore(ctx, meta, data); err != nil {
		return nil, fmt.Errorf("events: restore of %s from %s: %w", meta.Config.Name, dir, err)
	}
	return backupOf(dir, meta), nil
}

// restore sends the snapshot in r to the server chunk by chunk, each acknowledged, then an empty
// chunk, which the server answers once the stream is restored.
func (s *Store) restore(ctx context.Context, meta *backupMeta, r io.Reader) error {
	var resp server.JSApiStreamRestoreResponse
	if err := s.api(ctx, fmt.Sprintf(server.JSApiStreamRestoreT, meta.Config.Name), meta, &resp, &resp.ApiResponse); err != nil {
		return err
	}
	chunk := make([]byte, backupChunk)
	for {
		n, rerr := io.ReadFull(r, chunk)
		if n > 0 {
			rctx, cancel := s.rpc(ctx)
			m, err := s.Conn.RequestWithContext(rctx, resp.DeliverSubject, chunk[:n])
			cancel()
			if err != nil {
				return err
			}
			if len(m.Data) > 0 { // the server gave up; its answer says why
				var failed server.JSApiStreamCreateResponse
				if json.Unmarshal(m.Data, &failed) == nil && failed.Error != nil {
					return failed.Error
				}
				return fmt.Errorf("the server refused a chunk: %s", m.Data)
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		} else if rerr != nil {
			return rerr
		}
	}
	// The server answers the last, empty chunk once it has rebuilt the stream, which takes a while
	// for a large one.
	wctx, cancel := ctx, context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); !ok {
		wctx, cancel = context.WithTimeout(ctx, time.Hour)
	}
	defer cancel()
	m, err := s.Conn.RequestWithContext(wctx, resp.DeliverSubject, nil)
	if err != nil {
		return err
	}
	var done server.JSApiStreamCreateResponse
	if err := json.Unmarshal(m.Data, &done); err != nil {
		return fmt.Errorf("the server's answer to the restore: %w", err)
	}
	if done.Error != nil {
		return done.Error
	}
	return nil
}

// api sends req to a JetStream API subject and reads the answer into resp, whose ApiResponse is
// ar; an error the answer carries is returned.
func (s *Store) api(ctx context.Context, subject string, req, resp any, ar *server.ApiResponse) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	rctx, cancel := s.rpc(ctx)
	defer cancel()
	m, err := s.Conn.RequestWithContext(rctx, subject, b)
	if errors.Is(err, nats.ErrNoResponders) {
		return domain.Errorf(domain.EUNAVAILABLE, "JetStream does not answer on %s.", subject)
	} else if err != nil {
		return err
	}
	if err := json.Unmarshal(m.Data, resp); err != nil {
		return fmt.Errorf("the answer on %s: %w", subject, err)
	}
	if ar.Error != nil {
		if ar.Error.Code == 404 { // the API subject ends with the stream's name
			return domain.NotFound("stream", "There is no stream %s (%s).", subject[strings.LastIndexByte(subject, '.')+1:], ar.Error.Description)
		}
		return ar.Error
	}
	return nil
}

// writeFileSync writes a new file and syncs it.
func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	return errors.Join(werr, f.Sync(), f.Close())
}
