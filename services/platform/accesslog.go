package platform

import (
	"log/slog"
	"net/http"
	"time"
)

// logRequests writes one access log line per request: at info level, whatever
// the status (a 503 from /readyz during a drain is no error), or at warn level
// for an answer that was aborted. It logs the path without the query string,
// which may carry personal data such as a name.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := recordResponse(w)
		completed := false
		// Deferred so that a request aborted by a panic is logged too.
		defer func() {
			status := rec.status
			if status == 0 && completed {
				status = http.StatusOK // what net/http sends for a handler that wrote nothing
			}
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Float64("duration_ms", float64(time.Since(start))/float64(time.Millisecond)),
				slog.Int64("bytes", rec.bytes),
			}
			level := slog.LevelInfo
			if !completed {
				attrs = append(attrs, slog.Bool("aborted", true))
				level = slog.LevelWarn
			}
			logger.LogAttrs(r.Context(), level, "request", attrs...)
		}()
		next.ServeHTTP(rec, r)
		completed = true
	})
}

// responseRecorder remembers the status and size of a response. Handlers that
// need http.Flusher or deadlines reach the connection through
// http.NewResponseController, which follows Unwrap.
type responseRecorder struct {
	http.ResponseWriter
	status int // 0 until the final header is written
	bytes  int64
	// pattern is the ServeMux pattern the request is routed to, empty for
	// none, once routed is true.
	pattern string
	routed  bool
}

// recordResponse returns w itself when it already records, so that the
// middlewares of one request share a single recorder.
func recordResponse(w http.ResponseWriter) *responseRecorder {
	if rec, ok := w.(*responseRecorder); ok {
		return rec
	}
	return &responseRecorder{ResponseWriter: w}
}

func (r *responseRecorder) WriteHeader(status int) {
	// A 1xx status is an interim answer; the final one follows.
	if r.status == 0 && status >= http.StatusOK {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *responseRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

func (r *responseRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
