package platformtest

import (
	"bytes"
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics scrapes the server's metrics endpoint, as Prometheus does, and
// returns the metric families by name.
func (s *Server) Metrics(t testing.TB) Families {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.MetricsURL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp := s.Do(t, req)
	if resp.Status != http.StatusOK {
		t.Fatalf("GET /metrics of the metrics server: status %d; body %s", resp.Status, resp.Body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(resp.Body))
	if err != nil {
		t.Fatalf("GET /metrics: not the Prometheus text format: %v", err)
	}
	return families
}

// Families are metric families by name, as [Server.Metrics] returns them.
type Families map[string]*dto.MetricFamily

// Series returns the number of series of the family name: one per
// combination of label values.
func (f Families) Series(name string) int {
	if family, ok := f[name]; ok {
		return len(family.GetMetric())
	}
	return 0
}

// Value returns the sum of the counter or gauge samples of the family name
// whose labels include labels, and of the sample counts of a histogram.
func (f Families) Value(name string, labels map[string]string) float64 {
	family, ok := f[name]
	if !ok {
		return 0
	}
	var sum float64
	for _, metric := range family.GetMetric() {
		if !hasLabels(metric, labels) {
			continue
		}
		switch {
		case metric.Counter != nil:
			sum += metric.Counter.GetValue()
		case metric.Gauge != nil:
			sum += metric.Gauge.GetValue()
		case metric.Histogram != nil:
			sum += float64(metric.Histogram.GetSampleCount())
		case metric.Untyped != nil:
			sum += metric.Untyped.GetValue()
		}
	}
	return sum
}

// LabelValues returns the values the label name takes in the family's series.
func (f Families) LabelValues(family, name string) map[string]bool {
	values := map[string]bool{}
	if mf, ok := f[family]; ok {
		for _, metric := range mf.GetMetric() {
			for _, pair := range metric.GetLabel() {
				if pair.GetName() == name {
					values[pair.GetValue()] = true
				}
			}
		}
	}
	return values
}

func hasLabels(metric *dto.Metric, want map[string]string) bool {
	found := 0
	for _, pair := range metric.GetLabel() {
		if value, ok := want[pair.GetName()]; ok {
			if value != pair.GetValue() {
				return false
			}
			found++
		}
	}
	return found == len(want)
}
