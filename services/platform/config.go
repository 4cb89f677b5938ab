package platform

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Config is what a service reads from its environment. Every other variable is ignored.
type Config struct {
	// Port is the TCP port the server listens on, on every interface (PORT, default 8080).
	Port int
	// MetricsPort is the TCP port of the Prometheus metrics endpoint, /metrics,
	// on every interface (METRICS_PORT, default 9090). It is not the service's
	// port, so that metrics are never exposed where the service's clients are.
	MetricsPort int
	// LogLevel is the lowest level written to the log (LOG_LEVEL, default info).
	LogLevel slog.Level
	// ShutdownDrain is how long the server keeps serving after /readyz turned 503,
	// so that load balancers stop sending traffic before listeners close
	// (SHUTDOWN_DRAIN, default 5s).
	ShutdownDrain time.Duration
	// ShutdownTimeout bounds how long requests in flight may take to finish once
	// the listeners are closed (SHUTDOWN_TIMEOUT, default 20s).
	ShutdownTimeout time.Duration
}

// maxShutdownPhase bounds SHUTDOWN_DRAIN and SHUTDOWN_TIMEOUT: a longer phase is
// a typo (5m instead of 5s), and Kubernetes would kill the pod long before it ends.
const maxShutdownPhase = 5 * time.Minute

// LoadConfig reads the configuration through getenv. An unset or empty variable
// takes its default. The error has one line for each invalid variable, naming
// the variable, its value and what is allowed.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []error
	cfg := Config{
		Port: readEnv(getenv, &errs, envVar[int]{
			name: "PORT", fallback: 8080, parse: parsePort,
			allowed: "an integer from 1 to 65535",
		}),
		MetricsPort: readEnv(getenv, &errs, envVar[int]{
			name: "METRICS_PORT", fallback: 9090, parse: parsePort,
			allowed: "an integer from 1 to 65535 other than PORT",
		}),
		LogLevel: readEnv(getenv, &errs, envVar[slog.Level]{
			name: "LOG_LEVEL", fallback: slog.LevelInfo, parse: parseLogLevel,
			allowed: "one of debug, info, warn, error",
		}),
		ShutdownDrain: readEnv(getenv, &errs, envVar[time.Duration]{
			name: "SHUTDOWN_DRAIN", fallback: 5 * time.Second, parse: parseDuration(0),
			allowed: "a Go duration from 0s to " + maxShutdownPhase.String() + ", such as 5s or 500ms",
		}),
		ShutdownTimeout: readEnv(getenv, &errs, envVar[time.Duration]{
			name: "SHUTDOWN_TIMEOUT", fallback: 20 * time.Second, parse: parseDuration(time.Millisecond),
			allowed: "a Go duration from 1ms to " + maxShutdownPhase.String() + ", such as 20s",
		}),
	}
	if cfg.MetricsPort == cfg.Port && portValidOrUnset(getenv("PORT")) && portValidOrUnset(getenv("METRICS_PORT")) {
		errs = append(errs, samePortError(getenv, cfg.Port))
	}
	return cfg, errors.Join(errs...)
}

// samePortError says that PORT and METRICS_PORT name the same port, which
// only one of the two servers could listen on.
func samePortError(getenv func(string) string, port int) error {
	if getenv("METRICS_PORT") == "" {
		return fmt.Errorf("invalid PORT=%d: it is the default METRICS_PORT; set METRICS_PORT to another port, or choose another PORT", port)
	}
	return fmt.Errorf("invalid METRICS_PORT=%d: it is also PORT; the metrics endpoint needs a port of its own", port)
}

func portValidOrUnset(raw string) bool {
	_, ok := parsePort(raw)
	return raw == "" || ok
}

// envVar describes one environment variable: how to parse it and what to say when it is wrong.
type envVar[T any] struct {
	name     string
	fallback T
	parse    func(string) (T, bool)
	allowed  string
}

// configError is an environment variable whose value is not allowed.
type configError struct {
	name, value, allowed, fallback string
}

func (e *configError) Error() string {
	return fmt.Sprintf("invalid %s=%q: allowed is %s (unset for the default, %s)", e.name, e.value, e.allowed, e.fallback)
}

func readEnv[T any](getenv func(string) string, errs *[]error, v envVar[T]) T {
	raw := getenv(v.name)
	if raw == "" {
		return v.fallback
	}
	value, ok := v.parse(raw)
	if !ok {
		*errs = append(*errs, &configError{name: v.name, value: raw, allowed: v.allowed, fallback: formatDefault(v.fallback)})
		return v.fallback
	}
	return value
}

// formatDefault spells a default the way a user would write it in the environment.
func formatDefault(v any) string {
	if level, ok := v.(slog.Level); ok {
		return strings.ToLower(level.String())
	}
	return fmt.Sprint(v)
}

func parsePort(s string) (int, bool) {
	port, err := strconv.Atoi(s)
	return port, err == nil && port >= 1 && port <= 65535
}

func parseLogLevel(s string) (slog.Level, bool) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, true
	case "info":
		return slog.LevelInfo, true
	case "warn":
		return slog.LevelWarn, true
	case "error":
		return slog.LevelError, true
	}
	return 0, false
}

func parseDuration(lowest time.Duration) func(string) (time.Duration, bool) {
	return func(s string) (time.Duration, bool) {
		d, err := time.ParseDuration(s)
		return d, err == nil && d >= lowest && d <= maxShutdownPhase
	}
}
