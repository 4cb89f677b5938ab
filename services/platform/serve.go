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

// serve runs the HTTP server on addr until ctx is done or a shutdown signal
// arrives, then shuts it down gracefully.
func serve(ctx context.Context, svc Service, cfg Config, addr string, logger *slog.Logger, build buildinfo.Info) error {
	// First of all, so that a signal during start-up is a graceful shutdown too.
	ctx, stopSignals := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stopSignals()

	var ready readiness
	mux := http.NewServeMux()
	registerProbes(mux, svc.Name, &ready, build)
	if err := svc.Register(mux, Deps{Logger: logger, Build: build}); err != nil {
		return fmt.Errorf("register the routes of %s: %w", svc.Name, err)
	}
	srv := newHTTPServer(closeWhileDraining(&ready, withMiddleware(mux, logger)), logger)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "listening",
		slog.String("addr", ln.Addr().String()),
		slog.String("commit", build.Commit),
		slog.String("go_version", build.GoVersion),
		slog.String("log_level", cfg.LogLevel.String()),
		slog.String("shutdown_drain", cfg.ShutdownDrain.String()),
		slog.String("shutdown_timeout", cfg.ShutdownTimeout.String()),
	)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// From here on a second signal takes its default action and ends the
	// process at once: the way out of a drain that takes too long.
	stopSignals()
	return shutdown(ctx, srv, served, &ready, cfg, logger)
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
		return fmt.Errorf("serve: %w", err)
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
