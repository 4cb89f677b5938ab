package platform_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"go-services/services/platform"
	"go-services/services/platform/platformtest"
)

// statusService answers GET /status/{code} with that code, and panics at
// GET /panic: the answers whose counts the tests check.
func statusService() platform.Service {
	return platform.Service{
		Name: "status",
		Register: func(mux *http.ServeMux, _ platform.Deps) error {
			mux.HandleFunc("GET /status/{code}", func(w http.ResponseWriter, r *http.Request) {
				var code int
				if _, err := fmt.Sscan(r.PathValue("code"), &code); err != nil || code < 200 || code > 599 {
					platform.WriteError(w, http.StatusBadRequest, "code must be 200 to 599")
					return
				}
				platform.WriteError(w, code, http.StatusText(code))
			})
			mux.HandleFunc("POST /items", func(w http.ResponseWriter, _ *http.Request) {
				platform.WriteJSON(w, http.StatusCreated, map[string]string{})
			})
			mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
			return nil
		},
	}
}

func send(t *testing.T, srv *platformtest.Server, method, path string) platformtest.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return srv.Do(t, req)
}

func TestMetricsCountRequestsByRoutePatternMethodAndStatus(t *testing.T) {
	srv := platformtest.Start(t, runService(statusService()), nil)

	requests := []struct {
		method, path string
		times        int
	}{
		{"GET", "/status/200", 3},
		{"GET", "/status/503", 2},
		{"GET", "/status/500", 1},
		{"POST", "/items", 2},
		{"GET", "/panic", 1},
		{"GET", "/nope", 1},
		{"DELETE", "/items", 1},
		{"BREW", "/items", 1},
		{"GET", "/status/200?" + strings.Repeat("q", 1025), 1},
		// Probes: not the service's traffic.
		{"GET", "/livez", 4},
		{"GET", "/readyz", 4},
	}
	for _, r := range requests {
		for range r.times {
			send(t, srv, r.method, r.path)
		}
	}
	m := srv.Metrics(t)

	counts := []struct {
		route, method, status string
		want                  float64
	}{
		{"/status/{code}", "GET", "200", 3},
		{"/status/{code}", "GET", "503", 2},
		{"/status/{code}", "GET", "500", 1},
		{"/status/{code}", "GET", "414", 1},
		{"/items", "POST", "201", 2},
		{"/panic", "GET", "500", 1},
		{"unmatched", "GET", "404", 1},
		{"unmatched", "DELETE", "405", 1},
		{"unmatched", "OTHER", "405", 1},
	}
	var total float64
	for _, c := range counts {
		labels := map[string]string{"route": c.route, "method": c.method, "status": c.status}
		if got := m.Value("http_requests_total", labels); got != c.want {
			t.Errorf("http_requests_total%v = %v, want %v", labels, got, c.want)
		}
		total += c.want
	}
	if got := m.Value("http_requests_total", nil); got != total {
		t.Errorf("http_requests_total summed = %v, want %v: probes or other requests were counted", got, total)
	}
	for _, probe := range []string{"/livez", "/readyz"} {
		if got := m.Value("http_requests_total", map[string]string{"route": probe}); got != 0 {
			t.Errorf("probe %s counted %v times", probe, got)
		}
	}
	if got := m.Value("http_request_duration_seconds", map[string]string{"route": "/status/{code}"}); got != 7 {
		t.Errorf("http_request_duration_seconds{route=/status/{code}} has %v observations, want 7", got)
	}
	if got := m.Value("http_request_duration_seconds", nil); got != total {
		t.Errorf("http_request_duration_seconds has %v observations, want %v", got, total)
	}
	if got := m.Value("http_requests_in_flight", nil); got != 0 {
		t.Errorf("http_requests_in_flight = %v after every answer, want 0", got)
	}
}

func TestMetricsExposeRuntimeProcessAndBuildInfo(t *testing.T) {
	srv := platformtest.Start(t, runService(echoService()), nil)
	m := srv.Metrics(t)

	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes", "process_cpu_seconds_total"} {
		if m.Series(name) == 0 {
			t.Errorf("no %s: the Go runtime or process collector is missing", name)
		}
	}
	build := map[string]string{"version": "dev", "commit": "unknown", "go_version": runtime.Version()}
	if got := m.Value("service_build_info", build); got != 1 {
		t.Errorf("service_build_info%v = %v, want 1", build, got)
	}
}

// A route label per path would let any client add series without bound; the
// label is the ServeMux pattern, so 1,000 paths add no series.
func TestMetricsSeriesStayFlatAcrossDistinctPaths(t *testing.T) {
	srv := platformtest.Start(t, runService(echoService()), nil)
	srv.Get(t, "/echo/first")
	srv.Get(t, "/unknown/first")
	before := srv.Metrics(t)

	for i := range 1000 {
		if i%2 == 0 {
			srv.Get(t, fmt.Sprintf("/echo/word-%d", i))
		} else {
			srv.Get(t, fmt.Sprintf("/unknown/path-%d", i))
		}
	}
	after := srv.Metrics(t)

	for _, name := range []string{"http_requests_total", "http_request_duration_seconds"} {
		if b, a := before.Series(name), after.Series(name); a != b {
			t.Errorf("%s: %d series after 1,000 distinct paths, %d before", name, a, b)
		}
	}
	if got := after.Value("http_requests_total", nil); got != 1002 {
		t.Errorf("http_requests_total summed = %v, want 1002", got)
	}
	routes := after.LabelValues("http_requests_total", "route")
	if len(routes) != 2 || !routes["/echo/{word}"] || !routes["unmatched"] {
		t.Errorf("route labels %v, want /echo/{word} and unmatched", routes)
	}
}

// The metrics have a port of their own: the service's port does not serve
// them, and the metrics server serves nothing else. Scrapes are neither
// logged nor counted.
func TestMetricsAreServedOnTheirOwnPortOnly(t *testing.T) {
	srv := platformtest.Start(t, runService(echoService()), nil)

	if got := srv.Get(t, "/metrics"); got.Status != http.StatusNotFound {
		t.Errorf("GET /metrics on the service's port: status %d, want 404", got.Status)
	}
	other, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.MetricsURL+"/echo/hi", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Do(t, other); got.Status != http.StatusNotFound {
		t.Errorf("GET /echo/hi on the metrics port: status %d, want 404", got.Status)
	}

	srv.Metrics(t)
	m := srv.Metrics(t)
	if got := m.Value("http_requests_total", map[string]string{"route": "/metrics"}); got != 0 {
		t.Errorf("scrapes counted: %v", got)
	}
	srv.Get(t, "/echo/last")
	srv.WaitLog(t, "request", "path", "/echo/last")
	for _, line := range srv.Logs("request") {
		if line["path"] == "/metrics" && line["status"] == 200.0 {
			t.Errorf("a scrape is in the access log: %v", line)
		}
	}
}
