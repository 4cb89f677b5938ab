package platform

import (
	"context"
	"encoding/binary"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// traceContext reads and writes the W3C Trace Context headers, traceparent
// and tracestate.
var traceContext propagation.TraceContext

// traceRequests gives every request a span of the W3C trace its caller sent
// in traceparent (tracestate and the sampled flag kept), or of a new trace
// when there is none or it is malformed. The span's context is in the
// request's context: the log lines written with it carry its trace and span
// ids, and [Deps.Client] sends it on. The platform records no spans itself:
// a new trace is not marked sampled.
func traceRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		parent := trace.SpanContextFromContext(traceContext.Extract(ctx, propagation.HeaderCarrier(r.Header)))
		span := trace.SpanContextConfig{SpanID: newSpanID()}
		if parent.IsValid() {
			span.TraceID, span.TraceFlags, span.TraceState = parent.TraceID(), parent.TraceFlags(), parent.TraceState()
		} else {
			span.TraceID = newTraceID()
		}
		next.ServeHTTP(w, r.WithContext(trace.ContextWithSpanContext(ctx, trace.NewSpanContext(span))))
	})
}

// newTraceID and newSpanID draw random ids, as W3C Trace Context asks, from
// the runtime's per-thread ChaCha8 generator: unpredictable and lock-free.
// All-zero ids are invalid, so they are drawn again.
func newTraceID() trace.TraceID {
	var id trace.TraceID
	for !id.IsValid() {
		binary.BigEndian.PutUint64(id[:8], rand.Uint64())
		binary.BigEndian.PutUint64(id[8:], rand.Uint64())
	}
	return id
}

func newSpanID() trace.SpanID {
	var id trace.SpanID
	for !id.IsValid() {
		binary.BigEndian.PutUint64(id[:], rand.Uint64())
	}
	return id
}

// traceLogHandler adds the trace_id and span_id of the span in a record's
// context to the record, so that every line logged with a request's context
// (logger.InfoContext(r.Context(), ...)) names the request's trace.
type traceLogHandler struct {
	slog.Handler
}

func (h traceLogHandler) Handle(ctx context.Context, record slog.Record) error {
	if span := trace.SpanContextFromContext(ctx); span.IsValid() {
		record.AddAttrs(
			slog.String("trace_id", span.TraceID().String()),
			slog.String("span_id", span.SpanID().String()),
		)
	}
	return h.Handler.Handle(ctx, record)
}

func (h traceLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceLogHandler{h.Handler.WithAttrs(attrs)}
}

func (h traceLogHandler) WithGroup(name string) slog.Handler {
	return traceLogHandler{h.Handler.WithGroup(name)}
}

// clientTimeout bounds a whole call made through [Deps.Client], below the
// server's own write timeout, so that a slow dependency fails the request
// with an answer rather than a cut connection.
const clientTimeout = 10 * time.Second

// newClient is the HTTP client a service calls other services with: it sends
// the trace context of each request's context on.
func newClient() *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	return &http.Client{Transport: tracingTransport{base: base}, Timeout: clientTimeout}
}

// tracingTransport adds traceparent and tracestate, from the span in a
// request's context, to the request.
type tracingTransport struct {
	base http.RoundTripper
}

func (t tracingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if trace.SpanContextFromContext(ctx).IsValid() {
		// A RoundTripper must not change the request it is given.
		req = req.Clone(ctx)
		traceContext.Inject(ctx, propagation.HeaderCarrier(req.Header))
	}
	return t.base.RoundTrip(req)
}
