package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"synap/tenant"
)

// metrics is /metrics: a registry of its own (never the global one, so two
// servers in one test process do not collide) with the HTTP surface's
// latency histogram and a collector that reads the server's and tenants'
// counters at scrape time, so the hot path pays nothing for it.
type metrics struct {
	reg     *prometheus.Registry
	latency *prometheus.HistogramVec
	handler http.Handler
}

func newMetrics(a *API) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "synap_http_request_duration_seconds",
		Help:    "HTTP requests by route and status, from the first byte read to the handler's return (for WebSocket and SSE: the stream's life).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"route", "code"})
	m.reg.MustRegister(m.latency, &collector{a: a},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	m.latency.WithLabelValues(route, strconv.Itoa(status)).Observe(d.Seconds())
}

var (
	descTenantCommands = prometheus.NewDesc("synap_tenant_commands_total", "Commands run by a tenant, every surface.", []string{"tenant"}, nil)
	descTenantRejected = prometheus.NewDesc("synap_tenant_rejections_total", "A tenant's refused commands and connections by reason.", []string{"tenant", "reason"}, nil)
	descTenantKeys     = prometheus.NewDesc("synap_tenant_keys", "Keys in a tenant's namespace.", []string{"tenant"}, nil)
	descTenantBytes    = prometheus.NewDesc("synap_tenant_bytes", "Bytes a tenant's namespace is charged for (its storage quota's measure).", []string{"tenant"}, nil)
	descTenantConns    = prometheus.NewDesc("synap_tenant_connections", "A tenant's open sessions, every surface.", []string{"tenant"}, nil)
	descTenantHits     = prometheus.NewDesc("synap_tenant_keyspace_hits_total", "A tenant's keyspace hits.", []string{"tenant"}, nil)
	descTenantMisses   = prometheus.NewDesc("synap_tenant_keyspace_misses_total", "A tenant's keyspace misses.", []string{"tenant"}, nil)
	descSessions       = prometheus.NewDesc("synap_sessions", "Open sessions by surface.", []string{"surface"}, nil)
	descCommands       = prometheus.NewDesc("synap_commands_total", "Commands run, every tenant and surface.", nil, nil)
	descRejected       = prometheus.NewDesc("synap_rejected_calls_total", "Commands refused before running (arity, permission, limits).", nil, nil)
	descFailed         = prometheus.NewDesc("synap_failed_calls_total", "Commands that ran and replied with an error.", nil, nil)
	descNetIn          = prometheus.NewDesc("synap_net_input_bytes_total", "Bytes read from RESP clients.", nil, nil)
	descNetOut         = prometheus.NewDesc("synap_net_output_bytes_total", "Bytes written to RESP clients.", nil, nil)
	descConnsTotal     = prometheus.NewDesc("synap_sessions_opened_total", "Sessions opened since start (RESP connections and HTTP requests).", nil, nil)
	descConnsRefused   = prometheus.NewDesc("synap_connections_rejected_total", "Connections refused at accept.", nil, nil)
	descHTTPConns      = prometheus.NewDesc("synap_http_connections", "Open HTTP connections (WebSockets leave the count once upgraded).", nil, nil)
	descHTTPRefused    = prometheus.NewDesc("synap_http_connections_rejected_total", "HTTP connections closed at accept for being past the limit.", nil, nil)
	descHTTPBytes      = prometheus.NewDesc("synap_http_body_bytes_total", "HTTP request bodies read and response bodies written (REST and SSE).", []string{"direction"}, nil)
	descHub            = prometheus.NewDesc("synap_hivehub", "The control plane client's counters (calls, cache hits...).", []string{"counter"}, nil)
	descCmdLatency     = prometheus.NewDesc("synap_command_duration_seconds", "Each command's latency, from its start to its end under its locks (latency-tracking; every tenant and surface).", []string{"command"}, nil)
)

type collector struct{ a *API }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descTenantCommands, descTenantRejected, descTenantKeys, descTenantBytes,
		descTenantConns, descTenantHits, descTenantMisses, descSessions, descCommands, descRejected, descFailed,
		descNetIn, descNetOut, descConnsTotal, descConnsRefused, descHTTPConns, descHTTPRefused, descHTTPBytes, descHub,
		descCmdLatency} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	srv := c.a.srv
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	st := &srv.Stats
	counter(descCommands, st.Commands.Load())
	counter(descRejected, st.RejectedCalls.Load())
	counter(descFailed, st.FailedCalls.Load())
	counter(descNetIn, st.NetInput.Load())
	counter(descNetOut, st.NetOutput.Load())
	counter(descConnsTotal, st.Connections.Load())
	counter(descConnsRefused, st.RejectedConns.Load())
	gauge(descHTTPConns, c.a.conns.Load())
	counter(descHTTPRefused, c.a.rejected.Load())
	counter(descHTTPBytes, c.a.bytesIn.Load(), "in")
	counter(descHTTPBytes, c.a.bytesOut.Load(), "out")
	bySurface := map[tenant.Surface]int64{tenant.SurfaceRESP: 0, tenant.SurfaceREST: 0, tenant.SurfaceWebSocket: 0, tenant.SurfaceMCP: 0}
	for _, cl := range srv.Clients() {
		bySurface[cl.Surface()]++
	}
	for s, n := range bySurface {
		gauge(descSessions, n, s.String())
	}
	if srv.Tenants != nil {
		for _, t := range srv.Tenants.All() {
			counter(descTenantCommands, t.Commands.Total(), t.UserID)
			for i, reason := range tenant.RejectNames() {
				counter(descTenantRejected, t.RejectedCount(tenant.Reject(i)), t.UserID, reason)
			}
			ns := srv.Eng.Namespace((&tenant.Principal{UserID: t.UserID}).Namespace())
			gauge(descTenantKeys, ns.Keys(), t.UserID)
			gauge(descTenantBytes, ns.Bytes(), t.UserID)
			gauge(descTenantConns, t.Connections.Load(), t.UserID)
			counter(descTenantHits, t.Hits.Load(), t.UserID)
			counter(descTenantMisses, t.Misses.Load(), t.UserID)
		}
	}
	for _, l := range srv.CommandLatencies() {
		ch <- prometheus.MustNewConstHistogram(descCmdLatency, uint64(l.Calls), l.Seconds, l.Buckets, l.Name)
	}
	if c.a.opts.HubStats != nil {
		for name, v := range c.a.opts.HubStats() {
			gauge(descHub, v, name)
		}
	}
}

// serveMetrics is /metrics: the operator's only (requirepass in
// standalone, the admin key in cluster mode); open in standalone without a
// password, like every route there.
func (a *API) serveMetrics(w http.ResponseWriter, r *http.Request) {
	c, _, cancel, ok := a.session(w, r, tenant.SurfaceREST)
	if !ok {
		return
	}
	operator := !a.srv.Config().ClusterMode || (c.P != nil && c.P.Operator)
	c.Close()
	cancel()
	if !operator {
		writeError(w, http.StatusForbidden, "NOPERM metrics are for the operator's key only")
		return
	}
	a.metrics.handler.ServeHTTP(w, r)
}
