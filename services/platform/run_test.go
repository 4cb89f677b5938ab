package platform_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go-services/services/platform"
	"go-services/services/platform/platformtest"
)

// runService is the run function of a service described by svc, as a
// service's main package defines it.
func runService(svc platform.Service) platformtest.RunFunc {
	return func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
		return platform.Run(ctx, svc, args, getenv, stdout, stderr)
	}
}

type echoBody struct {
	Word string `json:"word"`
}

// echoService answers GET /echo/{word} with {"word": word}.
func echoService() platform.Service {
	return platform.Service{
		Name: "echo",
		Register: func(mux *http.ServeMux, _ platform.Deps) error {
			mux.HandleFunc("GET /echo/{word}", func(w http.ResponseWriter, r *http.Request) {
				platform.WriteJSON(w, http.StatusOK, echoBody{Word: r.PathValue("word")})
			})
			return nil
		},
	}
}

func TestRunServesPlatformAndServiceEndpoints(t *testing.T) {
	srv := platformtest.Start(t, runService(echoService()), nil)

	platformtest.CheckPlatformEndpoints(t, srv, "echo")
	if got := platformtest.GetJSON[echoBody](t, srv, "/echo/hi", http.StatusOK); got.Word != "hi" {
		t.Errorf("GET /echo/hi = %+v, want word hi", got)
	}

	errorTests := []struct {
		path   string
		status int
		want   string
	}{
		{"/nope", http.StatusNotFound, "no endpoint at /nope"},
		{"/echo/a/b", http.StatusNotFound, "no endpoint at /echo/a/b"},
		{"/echo/hi?" + strings.Repeat("q", 1025), http.StatusRequestURITooLong, "query string is 1025 bytes long; at most 1024 are allowed"},
	}
	for _, tt := range errorTests {
		if got := platformtest.GetJSON[platform.ErrorBody](t, srv, tt.path, tt.status); got.Error != tt.want {
			t.Errorf("GET %.40s: error %q, want %q", tt.path, got.Error, tt.want)
		}
	}
}

func TestRunLogsStartupAndOneLinePerRequest(t *testing.T) {
	srv := platformtest.Start(t, runService(echoService()), map[string]string{"LOG_LEVEL": "debug", "SHUTDOWN_TIMEOUT": "7s"})

	listening := srv.WaitLog(t, "listening")
	for key, want := range map[string]string{
		"service": "echo", "version": "dev", "commit": "unknown", "level": "INFO",
		"log_level": "DEBUG", "shutdown_drain": "0s", "shutdown_timeout": "7s",
	} {
		if got := listening[key]; got != want {
			t.Errorf("listening log line: %s = %v, want %q", key, got, want)
		}
	}

	echo := srv.Get(t, "/echo/secret-name?name=Ada")
	srv.Get(t, "/nope")
	srv.WaitLog(t, "request", "path", "/nope")

	requests := srv.Logs("request")
	if len(requests) != 2 {
		t.Fatalf("%d access log lines for 2 requests: %v", len(requests), requests)
	}
	first := requests[0]
	for key, want := range map[string]any{
		"method": "GET", "path": "/echo/secret-name", "status": 200.0, "bytes": float64(len(echo.Body)), "level": "INFO", "service": "echo",
	} {
		if got := first[key]; got != want {
			t.Errorf("access log line: %s = %v, want %v", key, got, want)
		}
	}
	if d, ok := first["duration_ms"].(float64); !ok || d < 0 {
		t.Errorf("access log line: duration_ms = %v, want a non-negative number", first["duration_ms"])
	}
	if _, ok := first["name"]; ok {
		t.Errorf("access log line carries the query: %v", first)
	}
	if got := requests[1]["status"]; got != 404.0 {
		t.Errorf("access log line of /nope: status %v, want 404", got)
	}
}

func TestRunRejectsOversizedHeaders(t *testing.T) {
	srv := platformtest.Start(t, runService(echoService()), nil)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/livez", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Padding", strings.Repeat("x", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status %d for 64 KiB of headers, want 431", resp.StatusCode)
	}
}

func TestRunFailsWithOneLineError(t *testing.T) {
	occupied, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = occupied.Close() })
	failingRegister := platform.Service{
		Name:     "broken",
		Register: func(*http.ServeMux, platform.Deps) error { return errors.New("no data") },
	}

	tests := []struct {
		name string
		svc  platform.Service
		args []string
		env  map[string]string
		want string
	}{
		{
			name: "invalid environment",
			svc:  echoService(),
			env:  map[string]string{"SHUTDOWN_DRAIN": "forever"},
			want: `invalid SHUTDOWN_DRAIN="forever": allowed is a Go duration from 0s to 5m0s, such as 5s or 500ms (unset for the default, 5s)`,
		},
		{
			name: "unknown flag",
			svc:  echoService(),
			args: []string{"-port", "80"},
			want: "flag provided but not defined: -port (run with -h for usage)",
		},
		{
			name: "argument that is not a flag",
			svc:  echoService(),
			args: []string{"serve"},
			want: `unexpected argument "serve" (run with -h for usage)`,
		},
		{
			name: "address in use",
			svc:  echoService(),
			args: []string{"-addr", occupied.Addr().String()},
			want: "listen tcp " + occupied.Addr().String() + ": bind: address already in use",
		},
		{
			name: "service cannot register its routes",
			svc:  failingRegister,
			args: []string{"-addr", "127.0.0.1:0"},
			want: "register the routes of broken: no data",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := platform.Run(t.Context(), tt.svc, tt.args, environment(tt.env), &stdout, &stderr)
			if err == nil {
				t.Fatal("Run returned nil, want an error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
			if stdout.Len() > 0 || stderr.Len() > 0 {
				t.Errorf("Run wrote stdout %q and stderr %q; the caller prints the error", &stdout, &stderr)
			}
		})
	}
}

func TestRunPrintsUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := platform.Run(t.Context(), echoService(), []string{"-h"}, environment(nil), &stdout, &stderr); err != nil {
		t.Fatalf("Run -h: %v", err)
	}
	for _, want := range []string{"Usage: echo [-addr host:port] [-metrics-addr host:port] [-healthcheck]", "-healthcheck", "-metrics-addr", "PORT", "METRICS_PORT", "LOG_LEVEL", "SHUTDOWN_DRAIN", "SHUTDOWN_TIMEOUT"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("usage does not mention %q:\n%s", want, &stderr)
		}
	}
}

func TestHealthcheck(t *testing.T) {
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/livez" {
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(live.Close)
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(unavailable.Close)
	hung := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // until the health check gives up
	}))
	t.Cleanup(hung.Close)
	service := platformtest.Start(t, runService(echoService()), nil)
	_, livePort, err := net.SplitHostPort(live.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string // empty when the check must pass
	}{
		{name: "running service", args: []string{"-healthcheck", "-addr", strings.TrimPrefix(service.URL, "http://")}},
		{name: "port from the environment", args: []string{"-healthcheck"}, env: map[string]string{"PORT": livePort}},
		{
			name:    "server answering 503",
			args:    []string{"-healthcheck", "-addr", unavailable.Listener.Addr().String()},
			wantErr: "answered 503 Service Unavailable",
		},
		{
			name:    "server not answering",
			args:    []string{"-healthcheck", "-addr", hung.Listener.Addr().String()},
			wantErr: "deadline exceeded",
		},
		{
			name:    "invalid environment",
			args:    []string{"-healthcheck"},
			env:     map[string]string{"PORT": "none"},
			wantErr: `invalid PORT="none"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := platform.Run(t.Context(), echoService(), tt.args, environment(tt.env), &stdout, &stderr)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("healthcheck failed: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("healthcheck error %v, want one containing %q", err, tt.wantErr)
			}
			if stdout.Len() > 0 {
				t.Errorf("healthcheck wrote to stdout: %q", &stdout)
			}
		})
	}
}
