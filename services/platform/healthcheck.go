package platform

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// healthcheckTimeout stays below the 3s timeout of the image's HEALTHCHECK, so
// that a hung server is reported with a reason instead of the check being killed.
const healthcheckTimeout = 2 * time.Second

// healthcheck asks the server listening on addr for /livez, as the image's
// HEALTHCHECK does: the runtime image has no shell and no curl to do it.
func healthcheck(ctx context.Context, addr string) error {
	url, err := livezURL(addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	// A transport of its own: no proxy taken from the environment, no idle connection kept.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	_ = resp.Body.Close() // the status is the answer; the body is not read
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: GET %s answered %s", url, resp.Status)
	}
	return nil
}

// livezURL is the /livez URL of a server listening on addr. A server listening
// on every interface is reached over loopback.
func livezURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("healthcheck: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/livez", nil
}
