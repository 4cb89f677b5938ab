package platformtest

import (
	"bytes"
	"encoding/json"
	"sync"
)

// logLines is the stdout of a service: it decodes each JSON line as it is
// written and wakes up whoever waits for a new one.
type logLines struct {
	mu      sync.Mutex
	partial []byte
	records []map[string]any
	invalid []string
	changed chan struct{} // closed, and replaced, whenever a record is added
}

func newLogLines() *logLines {
	return &logLines{changed: make(chan struct{})}
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	added := false
	for {
		line, rest, found := bytes.Cut(l.partial, []byte("\n"))
		if !found {
			break
		}
		l.partial = rest
		var record map[string]any
		if err := json.Unmarshal(line, &record); err != nil {
			l.invalid = append(l.invalid, string(line))
			continue
		}
		l.records = append(l.records, record)
		added = true
	}
	if added {
		close(l.changed)
		l.changed = make(chan struct{})
	}
	return len(p), nil
}

// snapshot returns the records so far and a channel closed when the next one arrives.
func (l *logLines) snapshot() ([]map[string]any, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]map[string]any(nil), l.records...), l.changed
}

func (l *logLines) invalidLines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.invalid...)
}

// lockedBuffer is the stderr of a service.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
