package platform_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"go-services/services/platform"
	"go-services/services/platform/platformtest"
)

var (
	traceIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)
	spanIDPattern  = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

// relayService answers GET /relay by calling the downstream URL through the
// platform's client with the request's context, logging a line with that
// context before it does.
func relayService(downstream string) platform.Service {
	return platform.Service{
		Name: "relay",
		Register: func(mux *http.ServeMux, deps platform.Deps) error {
			mux.HandleFunc("GET /relay", func(w http.ResponseWriter, r *http.Request) {
				deps.Logger.InfoContext(r.Context(), "calling downstream")
				req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, downstream, nil)
				if err != nil {
					platform.WriteError(w, http.StatusInternalServerError, err.Error())
					return
				}
				resp, err := deps.Client.Do(req)
				if err != nil {
					platform.WriteError(w, http.StatusBadGateway, err.Error())
					return
				}
				_ = resp.Body.Close()
				platform.WriteJSON(w, http.StatusOK, map[string]string{})
			})
			return nil
		},
	}
}

// downstream records the traceparent and tracestate of each request it gets.
func downstream(t *testing.T) (url string, headers <-chan http.Header) {
	t.Helper()
	got := make(chan http.Header, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Clone()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, got
}

func getWithHeaders(t *testing.T, srv *platformtest.Server, path string, headers map[string]string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range headers {
		req.Header.Set(name, value)
	}
	if resp := srv.Do(t, req); resp.Status != http.StatusOK {
		t.Fatalf("GET %s: status %d, body %s", path, resp.Status, resp.Body)
	}
}

// The request's log lines, the access line included, carry the caller's trace
// id and a span id of the service's own, and the call downstream carries both
// on, with the caller's tracestate and sampled flag.
func TestTraceContextIsAcceptedLoggedAndPassedOn(t *testing.T) {
	url, headers := downstream(t)
	srv := platformtest.Start(t, runService(relayService(url)), nil)

	const (
		traceID    = "4bf92f3577b34da6a3ce929d0e0e4736"
		callerSpan = "00f067aa0ba902b7"
	)
	getWithHeaders(t, srv, "/relay", map[string]string{
		"traceparent": "00-" + traceID + "-" + callerSpan + "-01",
		"tracestate":  "vendor=opaque",
	})
	access := srv.WaitLog(t, "request", "path", "/relay")
	handler := srv.WaitLog(t, "calling downstream")

	if access["trace_id"] != traceID || handler["trace_id"] != traceID {
		t.Errorf("trace_id: access log %v, handler's line %v, want the caller's %s", access["trace_id"], handler["trace_id"], traceID)
	}
	span, _ := access["span_id"].(string)
	if !spanIDPattern.MatchString(span) || span == callerSpan || handler["span_id"] != span {
		t.Errorf("span_id: access log %q, handler's line %v; want one new span id for the request, not the caller's", span, handler["span_id"])
	}
	got := <-headers
	if want := "00-" + traceID + "-" + span + "-01"; got.Get("traceparent") != want {
		t.Errorf("downstream traceparent %q, want %q", got.Get("traceparent"), want)
	}
	if got.Get("tracestate") != "vendor=opaque" {
		t.Errorf("downstream tracestate %q, want the caller's", got.Get("tracestate"))
	}
}

// Without a valid traceparent, each request starts a trace of its own, which
// is logged and passed on too (not sampled: the platform records no spans).
func TestTraceStartsWhenAbsentOrMalformed(t *testing.T) {
	url, headers := downstream(t)
	srv := platformtest.Start(t, runService(relayService(url)), nil)

	cases := []map[string]string{
		nil,
		nil,
		{"traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, // all-zero trace id
		{"traceparent": "not a traceparent"},
	}
	seen := map[string]bool{}
	for i, h := range cases {
		getWithHeaders(t, srv, "/relay", h)
		access := srv.WaitLogs(t, "request", i+1)[i]
		traceID, _ := access["trace_id"].(string)
		span, _ := access["span_id"].(string)
		if !traceIDPattern.MatchString(traceID) || !spanIDPattern.MatchString(span) {
			t.Fatalf("request %d (%v): trace_id %q span_id %q, want 32 and 16 lower-case hex digits", i, h, traceID, span)
		}
		if seen[traceID] {
			t.Errorf("request %d (%v): trace id %s was used before; each request must start its own", i, h, traceID)
		}
		seen[traceID] = true
		if got, want := (<-headers).Get("traceparent"), "00-"+traceID+"-"+span+"-00"; got != want {
			t.Errorf("request %d (%v): downstream traceparent %q, want %q", i, h, got, want)
		}
	}
}

// A call made without a request's context has no trace to pass on.
func TestClientSendsNoTraceparentWithoutATrace(t *testing.T) {
	url, headers := downstream(t)
	var client *http.Client
	svc := platform.Service{Name: "idle", Register: func(_ *http.ServeMux, deps platform.Deps) error {
		client = deps.Client
		return nil
	}}
	platformtest.Start(t, runService(svc), nil)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if got := (<-headers).Get("traceparent"); got != "" {
		t.Errorf("traceparent %q on a call outside any request", got)
	}
	if req.Header.Get("traceparent") != "" {
		t.Error("the client changed the caller's request")
	}
}
