// Package platformtest starts a service in-process through its run function,
// the way its main does, for tests of the whole server.
package platformtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"
)

// RunFunc is the signature of a service's run function.
type RunFunc func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// waitLimit bounds every wait, so that a server that never starts or never
// stops fails its test with a reason instead of hanging until the test binary's timeout.
const waitLimit = 10 * time.Second

// Server is a service started by [Start].
type Server struct {
	// URL is the base URL of the server, e.g. http://127.0.0.1:41234.
	URL string
	// MetricsURL is the base URL of its metrics server, e.g. http://127.0.0.1:41235.
	MetricsURL string

	client *http.Client
	logs   *logLines
	stderr *lockedBuffer
	cancel context.CancelFunc
	exited chan struct{}
	err    error // what run returned; read only after exited is closed
	waited bool  // whether the test has seen err through Wait or Stop
}

// Start runs run listening on 127.0.0.1 on a free port, its metrics server on
// another, with env as its whole
// environment, and returns once the server listens. SHUTDOWN_DRAIN is 0s unless
// env sets it, so that the server stops at once. When the test ends, the server
// is stopped, and the test fails if run returns an error that the test has not
// seen through [Server.Wait] or [Server.Stop], or if it wrote a log line that
// is not JSON.
func Start(t testing.TB, run RunFunc, env map[string]string) *Server {
	t.Helper()
	getenv := func(name string) string {
		if value, ok := env[name]; ok {
			return value
		}
		if name == "SHUTDOWN_DRAIN" {
			return "0s"
		}
		return ""
	}
	ctx, cancel := context.WithCancel(t.Context())
	s := &Server{
		client: &http.Client{Transport: &http.Transport{}},
		logs:   newLogLines(),
		stderr: &lockedBuffer{},
		cancel: cancel,
		exited: make(chan struct{}),
	}
	go func() {
		s.err = run(ctx, []string{"-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0"}, getenv, s.logs, s.stderr)
		close(s.exited)
	}()
	t.Cleanup(func() {
		s.cancel()
		select {
		case <-s.exited:
		case <-time.After(waitLimit):
			t.Errorf("run did not return within %s of the end of the test; stderr: %s", waitLimit, s.stderr)
			return
		}
		s.client.CloseIdleConnections()
		if s.err != nil && !s.waited {
			t.Errorf("run returned %v; stderr: %s", s.err, s.stderr)
		}
		for _, line := range s.logs.invalidLines() {
			t.Errorf("log line is not JSON: %s", line)
		}
	})
	listening := s.WaitLog(t, "listening")
	addr, _ := listening["addr"].(string)
	s.URL = "http://" + addr
	metricsAddr, _ := listening["metrics_addr"].(string)
	s.MetricsURL = "http://" + metricsAddr
	return s
}

// Stop cancels the context of run, as SIGTERM would, and returns what run returned.
func (s *Server) Stop(t testing.TB) error {
	t.Helper()
	s.cancel()
	return s.Wait(t)
}

// Wait returns what run returned once it has returned.
func (s *Server) Wait(t testing.TB) error {
	t.Helper()
	select {
	case <-s.exited:
		s.waited = true
		return s.err
	case <-time.After(waitLimit):
		t.Fatalf("run did not return within %s; stderr: %s", waitLimit, s.stderr)
		return nil
	}
}

// WaitLog returns the first log record whose msg is msg and whose other
// fields match keyvals, pairs of a key and the value it prints as; it waits for
// such a record to be written. The test fails if run returns first.
func (s *Server) WaitLog(t testing.TB, msg string, keyvals ...string) map[string]any {
	t.Helper()
	if len(keyvals)%2 != 0 {
		t.Fatalf("WaitLog: keyvals %q are not pairs of a key and a value", keyvals)
	}
	deadline := time.After(waitLimit)
	for {
		records, changed := s.logs.snapshot()
		for _, record := range records {
			if matches(record, msg, keyvals) {
				return record
			}
		}
		select {
		case <-changed:
		case <-s.exited:
			t.Fatalf("run returned %v before logging %q %v; stderr: %s", s.err, msg, keyvals, s.stderr)
		case <-deadline:
			t.Fatalf("no %q log line with %v within %s", msg, keyvals, waitLimit)
		}
	}
}

// WaitLogs returns the first n log records whose msg is msg, once n have
// been written. The test fails if run returns first.
func (s *Server) WaitLogs(t testing.TB, msg string, n int) []map[string]any {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		records, changed := s.logs.snapshot()
		var matching []map[string]any
		for _, record := range records {
			if record["msg"] == msg {
				matching = append(matching, record)
			}
		}
		if len(matching) >= n {
			return matching[:n]
		}
		select {
		case <-changed:
		case <-s.exited:
			t.Fatalf("run returned %v after %d of %d %q log lines; stderr: %s", s.err, len(matching), n, msg, s.stderr)
		case <-deadline:
			t.Fatalf("%d of %d %q log lines within %s", len(matching), n, msg, waitLimit)
		}
	}
}

func matches(record map[string]any, msg string, keyvals []string) bool {
	if record["msg"] != msg {
		return false
	}
	for i := 0; i < len(keyvals); i += 2 {
		if value, ok := record[keyvals[i]]; !ok || fmt.Sprint(value) != keyvals[i+1] {
			return false
		}
	}
	return true
}

// Logs returns the log records written so far whose msg is msg.
func (s *Server) Logs(msg string) []map[string]any {
	records, _ := s.logs.snapshot()
	var matching []map[string]any
	for _, record := range records {
		if record["msg"] == msg {
			matching = append(matching, record)
		}
	}
	return matching
}

// Response is an answer read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Close reports that the server closes the connection after this answer
	// (Connection: close, which the client consumes and does not leave in Header).
	Close bool
}

// Get sends GET path to the server and reads the whole answer.
func (s *Server) Get(t testing.TB, path string) Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.Do(t, req)
}

// Do sends req, which may go to the server or to its metrics server, and
// reads the whole answer.
func (s *Server) Do(t testing.TB, req *http.Request) Response {
	t.Helper()
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	body, err := io.ReadAll(resp.Body)
	err = errors.Join(err, resp.Body.Close())
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL.Path, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: body, Close: resp.Close}
}

// DecodeJSON decodes body, a single JSON value, into a T. The test fails on
// fields that T does not have, so that tests pin the exact shape of an answer.
func DecodeJSON[T any](t testing.TB, body []byte) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %s as %T: %v", body, v, err)
	}
	if dec.More() {
		t.Fatalf("decoding %s as %T: more than one JSON value", body, v)
	}
	return v
}

// GetJSON sends GET path to the server, checks that the answer has the wanted
// status and is JSON, and decodes it into a T as [DecodeJSON] does.
func GetJSON[T any](t testing.TB, s *Server, path string, wantStatus int) T {
	t.Helper()
	resp := s.Get(t, path)
	if resp.Status != wantStatus {
		t.Fatalf("GET %s: status %d, want %d; body %s", path, resp.Status, wantStatus, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s: Content-Type %q, want application/json", path, ct)
	}
	return DecodeJSON[T](t, resp.Body)
}

// CheckPlatformEndpoints checks the endpoints that every service gets from the
// platform: /livez, /readyz and /version of a binary built without -ldflags.
func CheckPlatformEndpoints(t *testing.T, s *Server, service string) {
	t.Helper()
	type probe struct {
		Status string `json:"status"`
	}
	if got := GetJSON[probe](t, s, "/livez", http.StatusOK); got.Status != "alive" {
		t.Errorf("GET /livez: status %q, want alive", got.Status)
	}
	if got := GetJSON[probe](t, s, "/readyz", http.StatusOK); got.Status != "ready" {
		t.Errorf("GET /readyz: status %q, want ready", got.Status)
	}

	type version struct {
		Service   string `json:"service"`
		Version   string `json:"version"`
		Commit    string `json:"commit"`
		GoVersion string `json:"goVersion"`
	}
	want := version{Service: service, Version: "dev", Commit: "unknown", GoVersion: runtime.Version()}
	if got := GetJSON[version](t, s, "/version", http.StatusOK); got != want {
		t.Errorf("GET /version = %+v, want %+v", got, want)
	}
}
