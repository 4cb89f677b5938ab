package platform

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// recoverPanics answers a panicking handler with a 500 and logs the panic with
// its stack as one JSON line, where net/http alone would reset the connection
// and print a plain-text trace to stderr.
func recoverPanics(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := recordResponse(w)
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p) // a deliberate abort: net/http closes the connection without logging
			}
			logger.LogAttrs(r.Context(), slog.LevelError, "panic in handler",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("panic", fmt.Sprint(p)),
				slog.String("stack", string(debug.Stack())),
			)
			if rec.status != 0 {
				// Part of the answer has been sent, so a 500 no longer can be. Abort
				// the connection rather than let the client take a truncated body
				// for a complete one.
				panic(http.ErrAbortHandler)
			}
			WriteError(rec, http.StatusInternalServerError, "internal server error")
		}()
		next.ServeHTTP(rec, r)
	})
}
