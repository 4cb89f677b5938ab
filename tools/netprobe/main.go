// Command netprobe is the e2e tests' network probe, for a scratch image:
//
//	netprobe                       wait for SIGTERM (the pod's main process; the tests exec into it)
//	netprobe listen PORT           accept TCP connections on PORT and close them, until SIGTERM
//	netprobe connect HOST:PORT MS  try one TCP connection for up to MS milliseconds
//
// connect prints one word and exits 0 when the connection was accepted ("accepted"), 1 when
// it was refused ("refused": a RST or an ICMP unreachable) or got no answer in time
// ("timeout"), and 2 on any other error or bad usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	switch {
	case len(args) == 0:
		<-ctx.Done()
		return 0
	case args[0] == "listen" && len(args) == 2:
		if err := listen(ctx, args[1]); err != nil {
			fmt.Fprintln(stderr, "netprobe:", err)
			return 2
		}
		return 0
	case args[0] == "connect" && len(args) == 3:
		timeout, err := strconv.Atoi(args[2])
		if err != nil || timeout <= 0 {
			fmt.Fprintf(stderr, "netprobe: %q is not a positive number of milliseconds\n", args[2])
			return 2
		}
		outcome, err := connect(ctx, args[1], time.Duration(timeout)*time.Millisecond)
		fmt.Fprintln(stdout, outcome)
		if err != nil {
			fmt.Fprintln(stderr, "netprobe:", err)
		}
		switch outcome {
		case "accepted":
			return 0
		case "refused", "timeout":
			return 1
		default:
			return 2
		}
	default:
		fmt.Fprintln(stderr, "usage: netprobe | netprobe listen PORT | netprobe connect HOST:PORT MILLISECONDS")
		return 2
	}
}

func listen(ctx context.Context, port string) error {
	listener, err := new(net.ListenConfig).Listen(ctx, "tcp", net.JoinHostPort("", port))
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		listener.Close()
	}()
	for {
		conn, err := listener.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		conn.Close()
	}
}

// connect classifies one connection attempt: "accepted", "refused", "timeout" or "error".
func connect(ctx context.Context, address string, timeout time.Duration) (string, error) {
	dialer := net.Dialer{Timeout: timeout}
	conn, err := dialer.DialContext(ctx, "tcp", address)
	switch {
	case err == nil:
		conn.Close()
		return "accepted", nil
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "refused", err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout", err
	default:
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			return "timeout", err
		}
		return "error", err
	}
}
