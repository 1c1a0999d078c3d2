package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An acknowledged decision survives the process being killed: takt serve answers 201 only after the
// embedded JetStream has synced the event to disk.
func TestKilledAfterAnswerKeepsTheEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "takt")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := t.TempDir()

	url, proc := start(t, bin, data)
	resp, err := http.Post(url+"/v1/tenants/demo/organs", "application/json",
		strings.NewReader(`{"id":"kf","name":"Kommunfullmäktige","kind":"council"}`))
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Events []struct {
			ID  string
			Seq uint64
		}
	}
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != 201 || len(created.Events) != 1 {
		t.Fatalf("got %d %+v", resp.StatusCode, created)
	}
	proc.Process.Kill() // SIGKILL: no shutdown, no flush
	proc.Wait()

	url, _ = start(t, bin, data)
	resp, err = http.Get(url + "/v1/tenants/demo/organs/kf/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Events []struct {
			ID  string
			Seq uint64
		}
	}
	json.NewDecoder(resp.Body).Decode(&got)
	if resp.StatusCode != 200 || len(got.Events) != 1 || got.Events[0].ID != created.Events[0].ID || got.Events[0].Seq != created.Events[0].Seq {
		t.Fatalf("after the restart got %d %+v, want %+v", resp.StatusCode, got, created)
	}
}

// start runs takt serve on a free port and returns the address it prints.
func start(t *testing.T, bin, data string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if _, url, ok := strings.Cut(sc.Text(), "listening on "); ok {
				lines <- strings.Fields(url)[0]
			}
		}
	}()
	select {
	case url := <-lines:
		return url, cmd
	case <-time.After(30 * time.Second):
		t.Fatal("takt serve did not start")
	}
	return "", nil
}

func TestMainRunAndClose(t *testing.T) {
	m := NewMain()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.DataDir = t.TempDir()
	m.Stdout, _ = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(m.URL() + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", err, resp)
	}
	resp.Body.Close()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}
