package platform

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"

	"go-services/services/platform/buildinfo"
)

// Service is what a service adds to the platform.
type Service struct {
	// Name identifies the service in logs, on /version and in usage text, e.g. "hello".
	Name string
	// Register adds the service's own routes to mux. It runs once at start-up,
	// after the configuration is valid and before the listener opens; an error
	// stops the process.
	Register func(mux *http.ServeMux, deps Deps) error
}

// Deps is what the platform hands a service's handlers.
type Deps struct {
	// Logger writes JSON lines to stdout. Log with a request's context
	// (Logger.InfoContext(r.Context(), ...)): the line then carries the
	// request's trace_id and span_id.
	Logger *slog.Logger
	Build  buildinfo.Info
	// Client is the HTTP client for calls to other services: a request made
	// with the context of the request being served (http.NewRequestWithContext(r.Context(), ...))
	// carries its W3C trace context on (traceparent, tracestate). A call
	// times out after 10s.
	Client *http.Client
}

// Run is the whole life of a service process; a service's main only calls it
// through its own run function. args are the command-line arguments without
// the program name and getenv reads the environment, so tests start the whole
// server in-process. Run serves until ctx is done or the process receives
// SIGTERM or SIGINT, then shuts down gracefully and returns nil. Any other
// return is an error to print and exit non-zero with.
func Run(ctx context.Context, svc Service, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	opts, err := parseFlags(svc.Name, args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	addr := opts.addr
	if addr == "" {
		addr = net.JoinHostPort("0.0.0.0", strconv.Itoa(cfg.Port))
	}
	metricsAddr := opts.metricsAddr
	if metricsAddr == "" {
		metricsAddr = net.JoinHostPort("0.0.0.0", strconv.Itoa(cfg.MetricsPort))
	}
	if opts.healthcheck {
		return healthcheck(ctx, addr)
	}
	build := buildinfo.Read()
	logger := slog.New(traceLogHandler{slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel})}).With(
		slog.String("service", svc.Name),
		slog.String("version", build.Version),
	)
	return serve(ctx, svc, cfg, listenAddrs{app: addr, metrics: metricsAddr}, logger, build)
}

// options are the command-line flags. The environment configures the server;
// flags only select a mode or override the listen address.
type options struct {
	healthcheck bool
	addr        string
	metricsAddr string
}

func parseFlags(name string, args []string, stderr io.Writer) (options, error) {
	var opts options
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.BoolVar(&opts.healthcheck, "healthcheck", false,
		"call /livez of the server running on this host and exit 0 if it answers 200, 1 otherwise\n(the image's HEALTHCHECK; the image has no shell and no curl)")
	fs.StringVar(&opts.addr, "addr", "",
		"listen on `host:port` instead of 0.0.0.0:$PORT, e.g. 127.0.0.1:0 in tests")
	fs.StringVar(&opts.metricsAddr, "metrics-addr", "",
		"serve /metrics on `host:port` instead of 0.0.0.0:$METRICS_PORT, e.g. 127.0.0.1:0 in tests")
	// Parse reports errors through the returned error alone; usage is printed for -h only.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(fs, stderr)
		return options{}, err
	case err != nil:
		return options{}, fmt.Errorf("%v (run with -h for usage)", err)
	case fs.NArg() > 0:
		return options{}, fmt.Errorf("unexpected argument %q (run with -h for usage)", fs.Arg(0))
	}
	return opts, nil
}

func printUsage(fs *flag.FlagSet, w io.Writer) {
	var usage strings.Builder
	fmt.Fprintf(&usage, "Usage: %s [-addr host:port] [-metrics-addr host:port] [-healthcheck]\n\n", fs.Name())
	fmt.Fprintf(&usage, "Serves %s over HTTP on 0.0.0.0:$PORT, and its Prometheus metrics on 0.0.0.0:$METRICS_PORT/metrics,\nuntil SIGTERM or SIGINT, then shuts down gracefully.\n\nFlags:\n", fs.Name())
	fs.SetOutput(&usage)
	fs.PrintDefaults()
	usage.WriteString(`
Environment:
  PORT              port to listen on, 1 to 65535 (default 8080)
  METRICS_PORT      port of the metrics endpoint, 1 to 65535 other than PORT (default 9090)
  LOG_LEVEL         debug, info, warn or error (default info)
  SHUTDOWN_DRAIN    how long to keep serving after /readyz turned 503 (default 5s)
  SHUTDOWN_TIMEOUT  how long requests in flight may then take to finish (default 20s)
`)
	// Nothing is left to report a failed write of the usage to.
	_, _ = io.WriteString(w, usage.String())
}
