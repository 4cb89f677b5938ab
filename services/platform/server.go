package platform

import (
	"log/slog"
	"net/http"
	"time"
)

// Connection limits. Endpoints answer from memory in microseconds, so these
// bound slow and idle clients rather than slow handlers.
const (
	// readHeaderTimeout cuts off clients that trickle their headers (slowloris).
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 30 * time.Second
	// idleTimeout outlasts the 60s idle timeout of common load balancers and
	// proxies, so that they, not the server, close idle keep-alive connections
	// and never send a request on a connection the server is closing.
	idleTimeout = 90 * time.Second
	// maxHeaderBytes is far above what an API client sends and far below the
	// 1 MiB net/http allows by default.
	maxHeaderBytes = 32 << 10
)

func newHTTPServer(handler http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// net/http reports connection-level errors here; keep them JSON on stdout too.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
