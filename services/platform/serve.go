package platform

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go-services/services/platform/buildinfo"
)

// listenAddrs are the addresses of the service's server and of its metrics server.
type listenAddrs struct {
	app, metrics string
}

// serve runs the service's HTTP server and its metrics server until ctx is
// done or a shutdown signal arrives, then shuts them down gracefully.
func serve(ctx context.Context, svc Service, cfg Config, addrs listenAddrs, logger *slog.Logger, build buildinfo.Info) error {
	// First of all, so that a signal during start-up is a graceful shutdown too.
	ctx, stopSignals := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stopSignals()

	var ready readiness
	mux := http.NewServeMux()
	registerProbes(mux, svc.Name, &ready, build)
	if err := svc.Register(mux, Deps{Logger: logger, Build: build, Client: newClient()}); err != nil {
		return fmt.Errorf("register the routes of %s: %w", svc.Name, err)
	}
	registry, metrics := newMetrics(build)
	srv := newHTTPServer(closeWhileDraining(&ready, withMiddleware(mux, logger, metrics)), logger)
	// Its own server and port: scrapes stay out of the access log and the
	// RED metrics, and a NetworkPolicy can admit the monitoring namespace to
	// this port alone.
	metricsSrv := newHTTPServer(metricsHandler(registry, logger), logger)

	ln, err := net.Listen("tcp", addrs.app)
	if err != nil {
		return err
	}
	metricsLn, err := net.Listen("tcp", addrs.metrics)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("metrics: %w", err)
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "listening",
		slog.String("addr", ln.Addr().String()),
		slog.String("metrics_addr", metricsLn.Addr().String()),
		slog.String("commit", build.Commit),
		slog.String("go_version", build.GoVersion),
		slog.String("log_level", cfg.LogLevel.String()),
		slog.String("shutdown_drain", cfg.ShutdownDrain.String()),
		slog.String("shutdown_timeout", cfg.ShutdownTimeout.String()),
	)
	// Either server's Serve returning before the shutdown is a failure.
	served := make(chan error, 2)
	go func() { served <- fmt.Errorf("serve: %w", srv.Serve(ln)) }()
	go func() { served <- fmt.Errorf("serve metrics: %w", metricsSrv.Serve(metricsLn)) }()
	defer closeMetrics(metricsSrv)

	select {
	case err := <-served:
		_ = srv.Close()
		return err
	case <-ctx.Done():
	}
	// From here on a second signal takes its default action and ends the
	// process at once: the way out of a drain that takes too long.
	stopSignals()
	return shutdown(ctx, srv, served, &ready, cfg, logger)
}

// metricsShutdownTimeout bounds the wait for a scrape in progress once the
// service's server has shut down; a scrape takes milliseconds.
const metricsShutdownTimeout = 2 * time.Second

// closeMetrics stops the metrics server last, so that Prometheus can scrape
// the counts of a drain until the drain ends.
func closeMetrics(metricsSrv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), metricsShutdownTimeout)
	defer cancel()
	if metricsSrv.Shutdown(ctx) != nil {
		_ = metricsSrv.Close()
	}
}

// shutdown turns /readyz to 503 at once, keeps serving for cfg.ShutdownDrain
// while load balancers take the process out of rotation, then closes the
// listeners and waits up to cfg.ShutdownTimeout for requests in flight.
func shutdown(ctx context.Context, srv *http.Server, served <-chan error, ready *readiness, cfg Config, logger *slog.Logger) error {
	ready.startDraining()
	logger.LogAttrs(ctx, slog.LevelInfo, "shutdown started",
		slog.String("cause", context.Cause(ctx).Error()),
		slog.String("drain", cfg.ShutdownDrain.String()),
	)

	drain := time.NewTimer(cfg.ShutdownDrain)
	defer drain.Stop()
	select {
	case err := <-served:
		return err
	case <-drain.C:
	}

	logger.LogAttrs(ctx, slog.LevelInfo, "drain complete; closing listeners",
		slog.String("timeout", cfg.ShutdownTimeout.String()))
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Close cuts the connections of the requests still running.
		_ = srv.Close()
		return fmt.Errorf("requests were still running after SHUTDOWN_TIMEOUT=%s and were cut off: %w", cfg.ShutdownTimeout, err)
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "shutdown complete")
	return nil
}
