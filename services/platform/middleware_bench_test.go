package platform

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go-services/services/platform/buildinfo"
)

// discardWriter is a ResponseWriter that keeps nothing, so that the benchmark
// measures the middleware, not a recorder.
type discardWriter struct{ header http.Header }

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// benchStacks are the whole middleware stack, with and without the RED
// metrics, in front of a route with a path parameter, and a request to it.
func benchStacks() (off, on http.Handler, req *http.Request, w *discardWriter) {
	logger := slog.New(traceLogHandler{slog.NewJSONHandler(io.Discard, nil)})
	body := []byte(`{"message":"hello"}` + "\n")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	_, metrics := newMetrics(buildinfo.Read())
	req = httptest.NewRequest(http.MethodGet, "/hello/ada", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	return withMiddleware(mux, logger, nil), withMiddleware(mux, logger, metrics), req, &discardWriter{header: http.Header{}}
}

// BenchmarkMiddleware measures a request through the whole middleware stack,
// with and without the RED metrics:
//
//	go test -run '^$' -bench Middleware -count 10 . | benchstat -col /metrics -
func BenchmarkMiddleware(b *testing.B) {
	off, on, req, w := benchStacks()
	for _, stack := range []struct {
		name    string
		handler http.Handler
	}{{"off", off}, {"on", on}} {
		b.Run("metrics="+stack.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				stack.handler.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkMetricsOverhead is what the metrics cost a request, measured so
// that a busy machine does not decide it: blocks of requests through the
// stacks with and without metrics alternate (which goes first alternates
// too), so both see the same load, and the difference of their times per
// request is reported as metrics-ns/req:
//
//	go test -run '^$' -bench MetricsOverhead -count 10 . | benchstat -
func BenchmarkMetricsOverhead(b *testing.B) {
	off, on, req, w := benchStacks()
	const block = 200
	var offTime, onTime time.Duration
	run := func(handler http.Handler) time.Duration {
		start := time.Now()
		for range block {
			handler.ServeHTTP(w, req)
		}
		return time.Since(start)
	}
	pairs := 0
	for b.Loop() {
		if pairs%2 == 0 {
			offTime += run(off)
			onTime += run(on)
		} else {
			onTime += run(on)
			offTime += run(off)
		}
		pairs++
	}
	requests := float64(pairs * block)
	b.ReportMetric(float64(offTime.Nanoseconds())/requests, "off-ns/req")
	b.ReportMetric(float64(onTime.Nanoseconds())/requests, "on-ns/req")
	b.ReportMetric(float64((onTime-offTime).Nanoseconds())/requests, "metrics-ns/req")
}
