package platform

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// logBuffer is a JSON logger writing to memory, and the lines it wrote.
type logBuffer struct {
	bytes.Buffer
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var records []map[string]any
	for line := range strings.Lines(b.String()) {
		var record map[string]any
		if err := json.Unmarshal([]byte(line), &record); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		records = append(records, record)
	}
	return records
}

func TestMiddlewareAnswersAndLogsEveryRequest(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /empty", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /created", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte("abc"))
	})
	mux.HandleFunc("GET /unavailable", func(w http.ResponseWriter, _ *http.Request) {
		WriteError(w, http.StatusServiceUnavailable, "try later")
	})
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.HandleFunc("GET /flush", func(w http.ResponseWriter, _ *http.Request) {
		if err := http.NewResponseController(w).Flush(); err != nil {
			WriteError(w, http.StatusInternalServerError, err.Error())
		}
	})

	tests := []struct {
		name       string
		method     string
		target     string
		wantStatus int
		wantBody   string // exact body; empty to skip the check
	}{
		{"handler writes nothing", "GET", "/empty", 200, ""},
		{"status and body", "GET", "/created?x=1", 201, "abc"},
		{"5xx is logged at info level too", "GET", "/unavailable", 503, `{"error":"try later"}` + "\n"},
		{"panic becomes a JSON 500", "GET", "/panic", 500, `{"error":"internal server error"}` + "\n"},
		{"flush reaches the connection", "GET", "/flush", 200, ""},
		{"unknown path is a JSON 404", "GET", "/missing", 404, `{"error":"no endpoint at /missing"}` + "\n"},
		{
			"wrong method is a JSON 405", "DELETE", "/empty", 405,
			`{"error":"method DELETE is not allowed at /empty; allowed: GET, HEAD"}` + "\n",
		},
		{"redirect to a clean path passes through", "GET", "/x/../missing", 307, ""},
		{
			"long query string is a JSON 414", "GET", "/empty?" + strings.Repeat("a", maxQueryBytes+1), 414,
			`{"error":"query string is 1025 bytes long; at most 1024 are allowed"}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logBuffer
			rec := httptest.NewRecorder()
			withMiddleware(mux, logs.logger(), nil).ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, nil))

			if rec.Code != tt.wantStatus {
				t.Errorf("status %d, want %d; body %q", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantBody != "" {
				if got := rec.Body.String(); got != tt.wantBody {
					t.Errorf("body %q, want %q", got, tt.wantBody)
				}
				if ct := rec.Header().Get("Content-Type"); strings.HasPrefix(tt.wantBody, "{") && ct != "application/json" {
					t.Errorf("Content-Type %q, want application/json", ct)
				}
			}

			records := logs.records(t)
			access := records[len(records)-1]
			path, _, _ := strings.Cut(tt.target, "?")
			want := map[string]any{
				"msg": "request", "level": "INFO", "method": tt.method, "path": path,
				"status": float64(tt.wantStatus), "bytes": float64(rec.Body.Len()),
			}
			for key, value := range want {
				if access[key] != value {
					t.Errorf("access log %s = %v, want %v (line %v)", key, access[key], value, access)
				}
			}
			if _, ok := access["duration_ms"].(float64); !ok {
				t.Errorf("access log has no duration_ms: %v", access)
			}
			if _, ok := access["aborted"]; ok {
				t.Errorf("access log marks a complete answer as aborted: %v", access)
			}
		})
	}
}

func TestPanicIsLoggedWithItsStack(t *testing.T) {
	var logs logBuffer
	panicking := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })
	recoverPanics(logs.logger(), panicking).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/p", nil))

	records := logs.records(t)
	if len(records) != 1 {
		t.Fatalf("%d log lines, want 1: %v", len(records), records)
	}
	got := records[0]
	if got["msg"] != "panic in handler" || got["level"] != "ERROR" || got["panic"] != "boom" || got["path"] != "/p" {
		t.Errorf("panic log line %v", got)
	}
	if stack, _ := got["stack"].(string); !strings.Contains(stack, "middleware_test.go") {
		t.Errorf("panic log line has no stack of the handler: %q", stack)
	}
}

// An answer that has started cannot become a 500; the connection must be
// aborted so that the client does not take a truncated body for a whole one.
func TestPanicAfterAnsweringAbortsTheConnection(t *testing.T) {
	tests := []struct {
		name          string
		handler       http.HandlerFunc
		wantPanicLine bool
	}{
		{
			name: "panic after the header",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusOK)
				panic("boom")
			},
			wantPanicLine: true,
		},
		{
			name:          "deliberate abort",
			handler:       func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) },
			wantPanicLine: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logBuffer
			mux := http.NewServeMux()
			mux.Handle("GET /", tt.handler)
			handler := withMiddleware(mux, logs.logger(), nil)

			got := func() (p any) {
				defer func() { p = recover() }()
				handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
				return nil
			}()
			if got != http.ErrAbortHandler {
				t.Errorf("panic %v reached net/http, want http.ErrAbortHandler", got)
			}

			records := logs.records(t)
			access := records[len(records)-1]
			if access["msg"] != "request" || access["aborted"] != true || access["level"] != "WARN" {
				t.Errorf("access log line %v, want an aborted request at warn level", access)
			}
			if gotPanicLine := len(records) == 2 && records[0]["msg"] == "panic in handler"; gotPanicLine != tt.wantPanicLine {
				t.Errorf("panic logged: %t, want %t (lines %v)", gotPanicLine, tt.wantPanicLine, records)
			}
		})
	}
}

func TestServerBoundsEveryPhaseOfAConnection(t *testing.T) {
	var logs logBuffer
	srv := newHTTPServer(http.NotFoundHandler(), logs.logger())
	for name, value := range map[string]int64{
		"ReadHeaderTimeout": int64(srv.ReadHeaderTimeout),
		"ReadTimeout":       int64(srv.ReadTimeout),
		"WriteTimeout":      int64(srv.WriteTimeout),
		"IdleTimeout":       int64(srv.IdleTimeout),
		"MaxHeaderBytes":    int64(srv.MaxHeaderBytes),
	} {
		if value <= 0 {
			t.Errorf("%s is %d; net/http would leave it unbounded or at its default", name, value)
		}
	}
	srv.ErrorLog.Print("bad TLS handshake")
	if records := logs.records(t); len(records) != 1 || records[0]["level"] != "WARN" {
		t.Errorf("net/http errors are not logged as JSON warnings: %v", records)
	}
}
