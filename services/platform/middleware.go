package platform

import (
	"fmt"
	"log/slog"
	"net/http"
)

// maxQueryBytes bounds the query string. No endpoint takes more than a few
// short parameters, so anything longer is a mistake or an attack.
const maxQueryBytes = 1024

// withMiddleware wraps mux in what every endpoint shares, outermost first: the
// W3C trace context, one access log line per request, the RED metrics (unless
// metrics is nil), panics answered with a 500, a bound on the query string,
// and JSON for the 404 and 405 answers of the mux itself.
func withMiddleware(mux *http.ServeMux, logger *slog.Logger, metrics *httpMetrics) http.Handler {
	handler := recoverPanics(logger, limitQuery(jsonMuxErrors(mux)))
	if metrics != nil {
		handler = measureRequests(metrics, mux, handler)
	}
	return traceRequests(logRequests(logger, handler))
}

func limitQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := len(r.URL.RawQuery); n > maxQueryBytes {
			WriteError(w, http.StatusRequestURITooLong,
				fmt.Sprintf("query string is %d bytes long; at most %d are allowed", n, maxQueryBytes))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// jsonMuxErrors makes the 404 and 405 answers that ServeMux writes itself JSON,
// like every other error of the API.
func jsonMuxErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// An empty pattern means no route matched: the mux is about to answer
		// 404 or 405 in plain text (or redirect to a cleaned path).
		if routedPattern(mux, w, r) == "" {
			w = &muxErrorWriter{ResponseWriter: w, request: r}
		}
		mux.ServeHTTP(w, r)
	})
}

// routedPattern is the pattern mux routes r to: the one measureRequests
// has found already, else mux's answer.
func routedPattern(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) string {
	if rec, ok := w.(*responseRecorder); ok && rec.routed {
		return rec.pattern
	}
	_, pattern := mux.Handler(r)
	return pattern
}

// muxErrorWriter replaces the plain-text 404 and 405 bodies of ServeMux with
// JSON ones and passes every other answer through.
type muxErrorWriter struct {
	http.ResponseWriter
	request  *http.Request
	replaced bool
}

func (w *muxErrorWriter) WriteHeader(status int) {
	var message string
	switch status {
	case http.StatusNotFound:
		message = fmt.Sprintf("no endpoint at %s", w.request.URL.Path)
	case http.StatusMethodNotAllowed:
		message = fmt.Sprintf("method %s is not allowed at %s; allowed: %s",
			w.request.Method, w.request.URL.Path, w.Header().Get("Allow"))
	default:
		w.ResponseWriter.WriteHeader(status)
		return
	}
	w.replaced = true
	WriteError(w.ResponseWriter, status, message)
}

func (w *muxErrorWriter) Write(p []byte) (int, error) {
	if w.replaced {
		return len(p), nil // the plain-text body the JSON one replaced
	}
	return w.ResponseWriter.Write(p)
}
