package platform

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"go-services/services/platform/buildinfo"
)

// discardWriter is a ResponseWriter that keeps nothing, so that the benchmark
// measures the middleware, not a recorder.
type discardWriter struct{ header http.Header }

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkMiddleware measures the whole middleware stack of a request to a
// route with a path parameter, with and without the RED metrics; the
// difference is what the metrics cost a request:
//
//	go test -run '^$' -bench Middleware -count 10 . | benchstat -col /metrics -
func BenchmarkMiddleware(b *testing.B) {
	logger := slog.New(traceLogHandler{slog.NewJSONHandler(io.Discard, nil)})
	body := []byte(`{"message":"hello"}` + "\n")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	_, metrics := newMetrics(buildinfo.Read())
	stacks := []struct {
		name    string
		metrics *httpMetrics
	}{
		{"off", nil},
		{"on", metrics},
	}
	for _, stack := range stacks {
		b.Run("metrics="+stack.name, func(b *testing.B) {
			handler := withMiddleware(mux, logger, stack.metrics)
			req := httptest.NewRequest(http.MethodGet, "/hello/ada", nil)
			req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			w := &discardWriter{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				handler.ServeHTTP(w, req)
			}
		})
	}
}
