// Package platform is what every Go service in this repository shares, so that a
// service module holds only its own handlers:
//
//   - configuration from the environment (PORT, METRICS_PORT, LOG_LEVEL,
//     SHUTDOWN_DRAIN, SHUTDOWN_TIMEOUT), with one clear error line per invalid
//     variable;
//   - JSON logs through log/slog to stdout, one access line per request;
//   - Prometheus metrics on a port of their own (METRICS_PORT, /metrics):
//     requests by route pattern, method and status, latency by route,
//     requests in flight (probes and scrapes not counted), the Go runtime and
//     process collectors, and service_build_info with version and commit;
//   - W3C trace context: the caller's traceparent is continued, or a trace
//     started; every line logged with the request's context carries trace_id
//     and span_id, and [Deps.Client] passes the trace on;
//   - a hardened http.Server whose handlers' panics are answered with a 500;
//   - the /livez, /readyz and /version endpoints;
//   - graceful shutdown on SIGTERM or SIGINT: /readyz turns 503 at once, the
//     server keeps serving for SHUTDOWN_DRAIN, then requests in flight get up to
//     SHUTDOWN_TIMEOUT to finish;
//   - the -healthcheck mode that the container image's HEALTHCHECK runs.
//
// A service's main calls its run function, which calls [Run] with the
// service's [Service] description.
package platform
