package platform

import (
	"net/http"
	"sync/atomic"

	"go-services/services/platform/buildinfo"
)

// readiness is what /readyz reports: ready from start-up until shutdown begins,
// so that load balancers stop routing to a pod before its listeners close.
type readiness struct {
	draining atomic.Bool
}

func (r *readiness) startDraining() { r.draining.Store(true) }

// closeWhileDraining makes every answer during the drain close its connection,
// so that a client holding a keep-alive connection opens its next one to
// another replica. Idle connections are left open until the drain ends: a
// client may already be sending on one, and closing it under that request
// would fail the request (the server's SetKeepAlivesEnabled(false) does that).
func closeWhileDraining(ready *readiness, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ready.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// The patterns of the probes, which the RED metrics leave out.
const (
	livezPattern  = "GET /livez"
	readyzPattern = "GET /readyz"
)

type probeStatus struct {
	Status string `json:"status"`
}

// versionBody is the answer of /version.
type versionBody struct {
	Service string `json:"service"`
	buildinfo.Info
}

// registerProbes adds the endpoints every service has: /livez (the process is
// alive), /readyz (it accepts traffic) and /version (what is running).
func registerProbes(mux *http.ServeMux, service string, ready *readiness, build buildinfo.Info) {
	mux.HandleFunc(livezPattern, func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, probeStatus{Status: "alive"})
	})
	mux.HandleFunc(readyzPattern, func(w http.ResponseWriter, _ *http.Request) {
		if ready.draining.Load() {
			WriteJSON(w, http.StatusServiceUnavailable, probeStatus{Status: "shutting down"})
			return
		}
		WriteJSON(w, http.StatusOK, probeStatus{Status: "ready"})
	})
	version := versionBody{Service: service, Info: build}
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, http.StatusOK, version)
	})
}
