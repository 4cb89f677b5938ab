package platform_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"

	"go-services/services/platform"
	"go-services/services/platform/platformtest"
)

// slowService has one endpoint, GET /slow, that signals entered when a request
// arrives and answers only once release is closed.
func slowService(entered chan<- struct{}, release <-chan struct{}) platform.Service {
	return platform.Service{
		Name: "slow",
		Register: func(mux *http.ServeMux, _ platform.Deps) error {
			mux.HandleFunc("GET /slow", func(w http.ResponseWriter, _ *http.Request) {
				entered <- struct{}{}
				<-release
				platform.WriteJSON(w, http.StatusOK, echoBody{Word: "done"})
			})
			return nil
		},
	}
}

type answer struct {
	status int
	body   string
	err    error
}

// getInBackground sends GET url from another goroutine and delivers the answer.
func getInBackground(url string) <-chan answer {
	answers := make(chan answer, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			answers <- answer{err: err}
			return
		}
		body, err := io.ReadAll(resp.Body)
		answers <- answer{status: resp.StatusCode, body: string(body), err: errors.Join(err, resp.Body.Close())}
	}()
	return answers
}

// Not parallel: the signal goes to the whole test process, and Run must be
// the only one listening for it.
func TestSIGTERMDrainsThenFinishesRequestsInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	srv := platformtest.Start(t, runService(slowService(entered, release)), map[string]string{
		"SHUTDOWN_DRAIN":   "2s", // ample time for the probes below, which need milliseconds
		"SHUTDOWN_TIMEOUT": "5s",
	})
	inFlight := getInBackground(srv.URL + "/slow")
	<-entered

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	started := srv.WaitLog(t, "shutdown started")
	if got := started["cause"]; got != "terminated signal received" {
		t.Errorf("shutdown cause %v, want the signal", got)
	}

	// During the drain: not ready, still alive, still serving.
	readyz := srv.Get(t, "/readyz")
	if readyz.Status != http.StatusServiceUnavailable || !strings.Contains(string(readyz.Body), `"shutting down"`) {
		t.Errorf("GET /readyz during the drain: %d %s, want 503 shutting down", readyz.Status, readyz.Body)
	}
	if !readyz.Close {
		t.Error("answer during the drain keeps the connection alive, want Connection: close")
	}
	if livez := srv.Get(t, "/livez"); livez.Status != http.StatusOK {
		t.Errorf("GET /livez during the drain: %d, want 200", livez.Status)
	}

	srv.WaitLog(t, "drain complete; closing listeners")
	close(release)
	got := <-inFlight
	if got.err != nil || got.status != http.StatusOK || got.body != `{"word":"done"}`+"\n" {
		t.Errorf("request in flight: %d %q %v, want 200 with its body", got.status, got.body, got.err)
	}
	if err := srv.Wait(t); err != nil {
		t.Errorf("Run after SIGTERM: %v, want nil (exit code 0)", err)
	}
	srv.WaitLog(t, "shutdown complete")
	srv.WaitLog(t, "request", "path", "/slow", "status", "200")
}

// A client reuses an idle keep-alive connection right after SIGTERM, as a
// proxy does before the endpoint change reaches it: the request must be
// answered, and the answer must close the connection.
// Not parallel, for the same reason as above.
func TestIdleKeepAliveConnectionServesOneMoreRequestDuringTheDrain(t *testing.T) {
	srv := platformtest.Start(t, runService(echoService()), map[string]string{"SHUTDOWN_DRAIN": "2s"})
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	reader := bufio.NewReader(conn)
	roundTrip := func() (*http.Response, error) {
		if _, err := io.WriteString(conn, "GET /livez HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
			return nil, err
		}
		resp, err := http.ReadResponse(reader, nil)
		if err != nil {
			return nil, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		return resp, errors.Join(err, resp.Body.Close())
	}
	if resp, err := roundTrip(); err != nil || resp.Close {
		t.Fatalf("before SIGTERM: %v, close %v; want a kept-alive answer", err, resp != nil && resp.Close)
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	srv.WaitLog(t, "shutdown started")
	resp, err := roundTrip()
	if err != nil {
		t.Fatalf("request on the idle connection during the drain: %v, want an answer", err)
	}
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Errorf("answer during the drain: %d, close %v; want 200 with Connection: close", resp.StatusCode, resp.Close)
	}
	if err := srv.Wait(t); err != nil {
		t.Errorf("Run after SIGTERM: %v, want nil", err)
	}
}

// Not parallel, for the same reason as above.
func TestSIGINTShutsDownGracefully(t *testing.T) {
	srv := platformtest.Start(t, runService(echoService()), nil)
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(t); err != nil {
		t.Errorf("Run after SIGINT: %v, want nil", err)
	}
	srv.WaitLog(t, "shutdown started", "cause", "interrupt signal received")
}

func TestShutdownTimeoutCutsOffRequestsStillRunning(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := platformtest.Start(t, runService(slowService(entered, release)), map[string]string{"SHUTDOWN_TIMEOUT": "100ms"})
	inFlight := getInBackground(srv.URL + "/slow")
	<-entered

	err := srv.Stop(t)
	const want = "requests were still running after SHUTDOWN_TIMEOUT=100ms and were cut off: context deadline exceeded"
	if err == nil || err.Error() != want {
		t.Errorf("Run: %v, want %q", err, want)
	}
	if got := <-inFlight; got.err == nil {
		t.Errorf("request still running at the timeout got %d %q, want its connection cut", got.status, got.body)
	}
}
