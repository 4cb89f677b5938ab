package platform

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"go-services/services/platform/buildinfo"
)

// The names of the metrics every service exposes. The alert rules and the
// dashboard that go-services deploys with each service query them by these
// names (components/monitoring.ts): renaming one breaks them.
const (
	requestsTotalName   = "http_requests_total"
	requestDurationName = "http_request_duration_seconds"
	inFlightName        = "http_requests_in_flight"
	buildInfoName       = "service_build_info"
)

// unmatchedRoute is the route label of a request that no pattern matched: a
// 404, a 405 or a redirect to a cleaned path. The raw path would let any
// client create a new series per request.
const unmatchedRoute = "unmatched"

// otherMethod is the method label of a request whose method is not one of
// the methods of HTTP/1.1 and RFC 5789, for the same reason.
const otherMethod = "OTHER"

// durationBuckets are the upper bounds, in seconds, of the latency histogram:
// Prometheus's default buckets, 5ms to 10s, which hold the latency objectives
// a service is likely to be given (components/monitoringSettings.ts keeps each
// service's objective below the largest: p99 is never seen above it).
var durationBuckets = prometheus.DefBuckets

// httpMetrics are the RED metrics of the service's own endpoints: requests by
// route, method and status, their latency by route, and those in flight.
// The probes and the metrics endpoint are not counted: they are the
// platform's traffic, not the service's.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// newMetrics registers, on a registry of its own, the RED metrics, the Go
// runtime and process collectors, and the build-info gauge. A registry per
// server, not the global one: tests run many servers in one process.
func newMetrics(build buildinfo.Info) (*prometheus.Registry, *httpMetrics) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: requestsTotalName,
			Help: "HTTP requests answered, by route pattern, method and status code. Probes are not counted.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    requestDurationName,
			Help:    "Time from the request's arrival to the end of its answer, by route pattern. Probes are not counted.",
			Buckets: durationBuckets,
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: inFlightName,
			Help: "HTTP requests being answered. Probes are not counted.",
		}),
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: buildInfoName,
		Help: "Always 1; the labels say which build of the service runs.",
		ConstLabels: prometheus.Labels{
			"version":    build.Version,
			"commit":     build.Commit,
			"go_version": build.GoVersion,
		},
	})
	buildInfo.Set(1)

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		m.requests, m.duration, m.inFlight, buildInfo,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg, m
}

// measureRequests records the RED metrics of every request but the probes.
// The route label is the pattern mux routes the request to, never the path.
// It hands the pattern on to jsonMuxErrors, through the response recorder,
// so that the mux is asked once, not twice.
func measureRequests(m *httpMetrics, mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := recordResponse(w)
		_, rec.pattern = mux.Handler(r)
		rec.routed = true
		if isProbe(rec.pattern) {
			next.ServeHTTP(rec, r)
			return
		}
		m.inFlight.Inc()
		start := time.Now()
		completed := false
		// Deferred so that a request aborted by a panic is counted too.
		defer func() {
			m.inFlight.Dec()
			route := routeLabel(r.Method, rec.pattern)
			m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
			m.requests.WithLabelValues(route, methodLabel(r.Method), statusLabel(rec.status, completed)).Inc()
		}()
		next.ServeHTTP(rec, r)
		completed = true
	})
}

// isProbe reports whether pattern is one of the kubelet's probes, which run
// every few seconds whatever the traffic and would dilute every rate.
func isProbe(pattern string) bool {
	return pattern == livezPattern || pattern == readyzPattern
}

// routeLabel is the route label of a request that mux routed to pattern:
// the pattern without its method, which the method label carries, e.g.
// "/quotes/{id}". For a CONNECT request that ServeMux redirects, it names
// the path it redirects to, not a pattern: no CONNECT route has a label.
func routeLabel(method, pattern string) string {
	if pattern == "" || method == http.MethodConnect {
		return unmatchedRoute
	}
	if _, route, hasMethod := strings.Cut(pattern, " "); hasMethod {
		return strings.TrimLeft(route, " \t")
	}
	return pattern
}

func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return otherMethod
}

// statusLabels are the labels of the status codes net/http can send,
// computed once: strconv.Itoa allocates for numbers above 99.
var statusLabels = func() (labels [1000]string) {
	for code := range labels {
		labels[code] = strconv.Itoa(code)
	}
	return labels
}()

// statusLabel is the status a client got: what the handler wrote, 200 for a
// handler that wrote nothing, and 500 for one that aborted before answering
// (the client sees its connection reset, which a proxy reports as a 5xx too).
func statusLabel(status int, completed bool) string {
	switch {
	case status == 0 && completed:
		status = http.StatusOK
	case status == 0:
		status = http.StatusInternalServerError
	}
	if status < 0 || status >= len(statusLabels) {
		return strconv.Itoa(status)
	}
	return statusLabels[status]
}

// metricsHandler serves the registry at /metrics only, in the Prometheus
// text format or OpenMetrics, as the scraper asks.
func metricsHandler(reg *prometheus.Registry, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+metricsPath, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
		EnableOpenMetrics: true,
		// A scrape slower than this is cut off; Prometheus's own scrape timeout is 10s by default.
		Timeout: metricsTimeout,
	}))
	return jsonMuxErrors(mux)
}

// metricsPath is where the metrics server answers.
const metricsPath = "/metrics"

const metricsTimeout = 10 * time.Second
