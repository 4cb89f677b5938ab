package platform_test

import (
	"log/slog"
	"testing"
	"time"

	"go-services/services/platform"
)

// environment is a getenv over a fixed set of variables.
func environment(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want platform.Config
	}{
		{
			name: "defaults",
			env:  nil,
			want: platform.Config{Port: 8080, MetricsPort: 9090, LogLevel: slog.LevelInfo, ShutdownDrain: 5 * time.Second, ShutdownTimeout: 20 * time.Second},
		},
		{
			name: "empty values take the defaults",
			env:  map[string]string{"PORT": "", "METRICS_PORT": "", "LOG_LEVEL": "", "SHUTDOWN_DRAIN": "", "SHUTDOWN_TIMEOUT": ""},
			want: platform.Config{Port: 8080, MetricsPort: 9090, LogLevel: slog.LevelInfo, ShutdownDrain: 5 * time.Second, ShutdownTimeout: 20 * time.Second},
		},
		{
			name: "every variable set",
			env:  map[string]string{"PORT": "9090", "METRICS_PORT": "8080", "LOG_LEVEL": "debug", "SHUTDOWN_DRAIN": "0s", "SHUTDOWN_TIMEOUT": "1m30s"},
			want: platform.Config{Port: 9090, MetricsPort: 8080, LogLevel: slog.LevelDebug, ShutdownDrain: 0, ShutdownTimeout: 90 * time.Second},
		},
		{
			name: "bounds and upper-case level",
			env:  map[string]string{"PORT": "65535", "METRICS_PORT": "1", "LOG_LEVEL": "WARN", "SHUTDOWN_DRAIN": "5m", "SHUTDOWN_TIMEOUT": "1ms"},
			want: platform.Config{Port: 65535, MetricsPort: 1, LogLevel: slog.LevelWarn, ShutdownDrain: 5 * time.Minute, ShutdownTimeout: time.Millisecond},
		},
		{
			name: "other variables are ignored",
			env:  map[string]string{"PORT": "1", "LOG_LEVEL": "error", "HOME": "/nonexistent", "GOMAXPROCS": "x"},
			want: platform.Config{Port: 1, MetricsPort: 9090, LogLevel: slog.LevelError, ShutdownDrain: 5 * time.Second, ShutdownTimeout: 20 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := platform.LoadConfig(environment(tt.env))
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if got != tt.want {
				t.Errorf("LoadConfig = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLoadConfigRejectsInvalidValues(t *testing.T) {
	const (
		port        = `allowed is an integer from 1 to 65535 (unset for the default, 8080)`
		metricsPort = `allowed is an integer from 1 to 65535 other than PORT (unset for the default, 9090)`
		level       = `allowed is one of debug, info, warn, error (unset for the default, info)`
		drain       = `allowed is a Go duration from 0s to 5m0s, such as 5s or 500ms (unset for the default, 5s)`
		timeout     = `allowed is a Go duration from 1ms to 5m0s, such as 20s (unset for the default, 20s)`
	)
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"port not a number", map[string]string{"PORT": "http"}, `invalid PORT="http": ` + port},
		{"port zero", map[string]string{"PORT": "0"}, `invalid PORT="0": ` + port},
		{"port too large", map[string]string{"PORT": "65536"}, `invalid PORT="65536": ` + port},
		{"port with spaces", map[string]string{"PORT": " 8080"}, `invalid PORT=" 8080": ` + port},
		{"metrics port zero", map[string]string{"METRICS_PORT": "0"}, `invalid METRICS_PORT="0": ` + metricsPort},
		{"metrics port not a number", map[string]string{"METRICS_PORT": "metrics"}, `invalid METRICS_PORT="metrics": ` + metricsPort},
		{
			"metrics port is the port", map[string]string{"PORT": "8081", "METRICS_PORT": "8081"},
			"invalid METRICS_PORT=8081: it is also PORT; the metrics endpoint needs a port of its own",
		},
		{
			"metrics port is the default port", map[string]string{"METRICS_PORT": "8080"},
			"invalid METRICS_PORT=8080: it is also PORT; the metrics endpoint needs a port of its own",
		},
		{
			"port is the default metrics port", map[string]string{"PORT": "9090"},
			"invalid PORT=9090: it is the default METRICS_PORT; set METRICS_PORT to another port, or choose another PORT",
		},
		{"unknown level", map[string]string{"LOG_LEVEL": "verbose"}, `invalid LOG_LEVEL="verbose": ` + level},
		{"numeric level", map[string]string{"LOG_LEVEL": "-4"}, `invalid LOG_LEVEL="-4": ` + level},
		{"drain without unit", map[string]string{"SHUTDOWN_DRAIN": "5"}, `invalid SHUTDOWN_DRAIN="5": ` + drain},
		{"negative drain", map[string]string{"SHUTDOWN_DRAIN": "-1s"}, `invalid SHUTDOWN_DRAIN="-1s": ` + drain},
		{"drain too long", map[string]string{"SHUTDOWN_DRAIN": "5m1s"}, `invalid SHUTDOWN_DRAIN="5m1s": ` + drain},
		{"zero timeout", map[string]string{"SHUTDOWN_TIMEOUT": "0s"}, `invalid SHUTDOWN_TIMEOUT="0s": ` + timeout},
		{"timeout too long", map[string]string{"SHUTDOWN_TIMEOUT": "1h"}, `invalid SHUTDOWN_TIMEOUT="1h": ` + timeout},
		{
			name: "one line per invalid variable",
			env:  map[string]string{"PORT": "x", "SHUTDOWN_TIMEOUT": "soon"},
			want: `invalid PORT="x": ` + port + "\n" + `invalid SHUTDOWN_TIMEOUT="soon": ` + timeout,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := platform.LoadConfig(environment(tt.env))
			if err == nil {
				t.Fatal("LoadConfig succeeded, want an error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}
