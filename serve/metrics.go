package serve

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are Triton's inference metrics, under Triton's names and labels, so that its
// dashboards and autoscalers read fluxcore unchanged: cumulative counters (durations in
// µs), the latency summaries that Triton publishes with --metrics-config
// summary_latencies=true (quantiles over a sliding window, here always on, so that a tail
// is seen from the server's side), the pending-request gauge, and a histogram of the batch
// sizes formed.
type metrics struct {
	successes, count, execCount      *prometheus.CounterVec
	failures                         *prometheus.CounterVec
	requestUS, queueUS, computeUS    *prometheus.CounterVec
	requestSum, queueSum, computeSum *prometheus.SummaryVec
	pendingGauge                     *prometheus.GaugeVec
	batchSize                        *prometheus.HistogramVec
}

// summaryQuantiles are Triton's default quantiles, each with its allowed rank error.
var summaryQuantiles = map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.95: 0.001, 0.99: 0.001, 0.999: 0.001}

// summaryWindow is how far back the quantiles look.
const summaryWindow = time.Minute

func newMetrics(reg prometheus.Registerer) *metrics {
	labels := []string{"model", "version"}
	counter := func(name, help string, extra ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, append(labels, extra...))
		reg.MustRegister(c)
		return c
	}
	summary := func(name, help string) *prometheus.SummaryVec {
		v := prometheus.NewSummaryVec(prometheus.SummaryOpts{Name: name, Help: help, Objectives: summaryQuantiles, MaxAge: summaryWindow}, labels)
		reg.MustRegister(v)
		return v
	}
	m := &metrics{
		successes:  counter("nv_inference_request_success", "Number of successful inference requests, all batch sizes"),
		failures:   counter("nv_inference_request_failure", "Number of failed inference requests, all batch sizes", "reason"),
		count:      counter("nv_inference_count", "Number of inferences performed (a request of batch n counts n)"),
		execCount:  counter("nv_inference_exec_count", "Number of model executions performed (a dynamic batch counts one)"),
		requestUS:  counter("nv_inference_request_duration_us", "Cumulative inference request duration in microseconds (queue and compute included)"),
		queueUS:    counter("nv_inference_queue_duration_us", "Cumulative inference queuing duration in microseconds"),
		computeUS:  counter("nv_inference_compute_infer_duration_us", "Cumulative compute inference duration in microseconds"),
		requestSum: summary("nv_inference_request_summary_us", "Summary of inference request duration in microseconds, over the last minute"),
		queueSum:   summary("nv_inference_queue_summary_us", "Summary of inference queuing duration in microseconds, over the last minute"),
		computeSum: summary("nv_inference_compute_infer_summary_us", "Summary of compute inference duration in microseconds, over the last minute"),
		pendingGauge: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "nv_inference_pending_request_count",
			Help: "Instantaneous number of pending requests awaiting execution per-model."}, labels),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "fluxcore_batch_size",
			Help: "Samples per execution that the dynamic batcher formed", Buckets: prometheus.ExponentialBuckets(1, 2, 11)}, labels),
	}
	reg.MustRegister(m.pendingGauge, m.batchSize)
	return m
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// success records a request that returned its outputs.
func (m *metrics) success(model string, samples int, start time.Time, queued, computed time.Duration) {
	m.successes.WithLabelValues(model, Version).Inc()
	m.count.WithLabelValues(model, Version).Add(float64(samples))
	request := micros(time.Since(start))
	m.requestUS.WithLabelValues(model, Version).Add(request)
	m.queueUS.WithLabelValues(model, Version).Add(micros(queued))
	m.computeUS.WithLabelValues(model, Version).Add(micros(computed))
	m.requestSum.WithLabelValues(model, Version).Observe(request)
	m.queueSum.WithLabelValues(model, Version).Observe(micros(queued))
	m.computeSum.WithLabelValues(model, Version).Observe(micros(computed))
}

// failure records a request that failed: REJECTED (bad or refused), CANCELED (its client
// left or its timeout passed) or BACKEND (the execution failed). As in Triton, the
// duration counters cover successful requests only, so that their means stay meaningful.
func (m *metrics) failure(model, reason string) {
	m.failures.WithLabelValues(model, Version, reason).Inc()
}

// executed records one execution of a batch of samples.
func (m *metrics) executed(model string, samples int) {
	m.execCount.WithLabelValues(model, Version).Inc()
	m.batchSize.WithLabelValues(model, Version).Observe(float64(samples))
}

// pending sets the model's queued requests.
func (m *metrics) pending(model string, n int64) {
	m.pendingGauge.WithLabelValues(model, Version).Set(float64(n))
}
