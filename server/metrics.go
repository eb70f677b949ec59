package server

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/handlers"
	"github.com/jmksales/jmk/server/store"
)

// metrics holds the Prometheus collectors of one server. Each server has its
// own registry, so tests can run many servers in one process.
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	aborted     *prometheus.CounterVec
	importRows  *prometheus.CounterVec
	exports     *prometheus.CounterVec
	exportRows  prometheus.Counter
	logins      *prometheus.CounterVec
	reuses      prometheus.Counter
	trainings   prometheus.Counter
	activations prometheus.Counter
}

// backgroundState is what /metrics shows of this instance's background
// work, the audit sealer and the janitor (*store.Store).
type backgroundState interface {
	SealerStalled() time.Duration
	SealerFailures() int64
	Unsealed() int64
	SealerLastSuccess() time.Time
	SealerLastRound() time.Time
	JanitorFailures(step string) int64
	JanitorLastSuccess() time.Time
	ActiveModelVersion() int32
}

// newMetrics registers the collectors; pool and bg may be nil (a
// server without a database, in tests).
func newMetrics(pool *pgxpool.Pool, bg backgroundState) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests by method, route template and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds",
			Help: "HTTP request latency by method and route template.",
			// 7.5 and 15 ms frame the list's 10 ms budget; 30 and 60 s the
			// 30 s budgets of a million-row import and an activation, and
			// REQUEST_TIMEOUT's default. 17 buckets: 20 series a route.
			Buckets: []float64{.001, .0025, .005, .0075, .01, .015, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"method", "route"}),
		aborted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_responses_aborted_total",
			Help: "Responses cut off after their status line was sent (an export whose client stalled or whose database failed), by method and route template; they count in http_requests_total with the status sent.",
		}, []string{"method", "route"}),
		importRows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lead_import_rows_total",
			Help: "Rows of the API's committed imports (dry runs and jmk import aside), by result: inserted, updated, unchanged or rejected.",
		}, []string{"result"}),
		exports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lead_exports_total",
			Help: "Exports that ran, by whether the whole file was sent (complete) or not (aborted: the client left or stalled, the database failed).",
		}, []string{"outcome"}),
		exportRows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lead_export_rows_total", Help: "Leads written by exports, complete or not.",
		}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auth_logins_total",
			Help: "Logins by result: success, failed (wrong e-mail or password, or a deactivated user) or throttled (429); a server failure counts as none.",
		}, []string{"result"}),
		reuses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "auth_refresh_reuses_total",
			Help: "Rotated refresh tokens presented again, each revoking its session: a stolen token, or a client that refreshed twice.",
		}),
		trainings: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "model_trainings_total", Help: "Model versions trained and stored through this instance's API.",
		}),
		activations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "model_activations_total",
			Help: "Activations through this instance's API that changed the active model (training with activate included).",
		}),
	}
	for _, r := range []string{"inserted", "updated", "unchanged", "rejected"} {
		m.importRows.WithLabelValues(r) // shown as 0 before the first import
	}
	for _, o := range []string{"complete", "aborted"} {
		m.exports.WithLabelValues(o)
	}
	for _, r := range []string{handlers.LoginSucceeded, handlers.LoginFailed, handlers.LoginThrottled} {
		m.logins.WithLabelValues(r)
	}
	m.reg.MustRegister(m.requests, m.latency, m.aborted, m.importRows, m.exports, m.exportRows,
		m.logins, m.reuses, m.trainings, m.activations,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector())
	if pool != nil {
		m.reg.MustRegister(poolCollector{pool})
	}
	if bg != nil {
		janitorSteps := strings.Join(store.JanitorSteps(), ", ")
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "audit_sealer_waiting_seconds",
			Help: "How long this instance's audit sealer has waited for a transaction writing to the audit trail to end, while committed events wait to be sealed (0: not waiting). Alert when it stays above a few minutes.",
		}, func() float64 { return bg.SealerStalled().Seconds() }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "audit_sealer_failures_total",
				Help: "Rounds this instance's audit sealer failed (a lost database connection, say); each is logged too.",
			}, func() float64 { return float64(bg.SealerFailures()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "audit_unsealed_events",
				Help: "Committed audit events not yet sealed into the hash chain, as this instance's sealer last saw them (every instance looks, whichever seals).",
			}, func() float64 { return float64(bg.Unsealed()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "audit_sealer_last_success_timestamp_seconds",
				Help: "When this instance's audit sealer last ended a round without failing (Unix time; 0: not yet): it sealed, found nothing to seal, or found the events held back (audit_sealer_waiting_seconds). Alert on time() minus this above a minute: the sealer fails or hangs.",
			}, func() float64 { return unixSeconds(bg.SealerLastSuccess()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "audit_sealer_last_round_timestamp_seconds",
				Help: "When this instance's audit sealer last began a round, failing or not (Unix time; 0: not yet): it moves while the sealer runs.",
			}, func() float64 { return unixSeconds(bg.SealerLastRound()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "janitor_last_success_timestamp_seconds",
				Help: "When this instance's janitor (once a minute: " + janitorSteps + ") last ended a round with every step done (Unix time; 0: not yet).",
			}, func() float64 { return unixSeconds(bg.JanitorLastSuccess()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "scoring_active_model_version",
				Help: "The active scoring model's version (0: none), as this instance last learnt it: at once from its own activations, within a minute from another's.",
			}, func() float64 { return float64(bg.ActiveModelVersion()) }))
		for _, step := range store.JanitorSteps() {
			m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name:        "janitor_failures_total",
				Help:        "Rounds in which a step of this instance's janitor (" + janitorSteps + ") failed, by step; each is logged too.",
				ConstLabels: prometheus.Labels{"step": step},
			}, func() float64 { return float64(bg.JanitorFailures(step)) }))
		}
	}
	return m
}

// unixSeconds is t as a Prometheus timestamp, 0 for the zero time.
func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

// imported counts an import's rows (handlers.Options.Imported).
func (m *metrics) imported(res store.ImportResult) {
	m.importRows.WithLabelValues("inserted").Add(float64(res.Inserted))
	m.importRows.WithLabelValues("updated").Add(float64(res.Updated))
	m.importRows.WithLabelValues("unchanged").Add(float64(res.Unchanged))
	m.importRows.WithLabelValues("rejected").Add(float64(res.RejectedRows()))
}

// exported counts an export (handlers.Options.Exported).
func (m *metrics) exported(rows int, complete bool) {
	outcome := "aborted"
	if complete {
		outcome = "complete"
	}
	m.exports.WithLabelValues(outcome).Inc()
	m.exportRows.Add(float64(rows))
}

// loginOutcome counts a login (handlers.Options.LoginOutcome).
func (m *metrics) loginOutcome(result string) { m.logins.WithLabelValues(result).Inc() }

// middleware counts and times every request by its route template (never
// the raw path, which would explode the label set).
func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		method := methodLabel(c.Request().Method) // before headAsGet shows a HEAD as GET
		record := func() (route string) {
			route = c.Path()
			if route == "" {
				route = "unmatched"
			}
			m.requests.WithLabelValues(method, route, strconv.Itoa(c.Response().Status)).Inc()
			m.latency.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
			return route
		}
		defer func() {
			// A response cut off after it started panics its way out
			// (see accessLog): counted, then passed on.
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					m.aborted.WithLabelValues(method, record()).Inc()
				}
				panic(p)
			}
		}()
		if err := next(c); err != nil {
			c.Error(err)
		}
		record()
		return nil
	}
}

// methodLabel is the method as a label value: any name a client makes up
// would otherwise add series without bound, and without a login.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// handler serves the metrics; with a token, only to a request that bears
// it (Prometheus: authorization.credentials), as they show routes, error
// rates and the pool's use.
func (m *metrics) handler(token string) echo.HandlerFunc {
	serve := echo.WrapHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	if token == "" {
		return serve
	}
	return func(c echo.Context) error {
		got, ok := bearerToken(c.Request())
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			return &apperr.Error{Status: http.StatusUnauthorized, Detail: "the metrics need the METRICS_TOKEN bearer token"}
		}
		return serve(c)
	}
}

// poolCollector exports the pgx pool's statistics at scrape time.
type poolCollector struct{ pool *pgxpool.Pool }

var (
	poolAcquired = prometheus.NewDesc("db_pool_acquired_conns", "Connections in use.", nil, nil)
	poolIdle     = prometheus.NewDesc("db_pool_idle_conns", "Idle connections.", nil, nil)
	poolTotal    = prometheus.NewDesc("db_pool_total_conns", "Open connections.", nil, nil)
	poolMax      = prometheus.NewDesc("db_pool_max_conns", "Pool size limit.", nil, nil)
	poolAcquires = prometheus.NewDesc("db_pool_acquires_total", "Connections acquired.", nil, nil)
	poolWait     = prometheus.NewDesc("db_pool_acquire_wait_seconds_total", "Time spent waiting for a connection.", nil, nil)
	poolEmpty    = prometheus.NewDesc("db_pool_empty_acquires_total", "Acquires that had to wait.", nil, nil)
	// A request that gave up waiting for a connection (its deadline, or
	// its client gone) shows here, not in the acquires: the pool too small,
	// or its connections held too long.
	poolCanceled     = prometheus.NewDesc("db_pool_canceled_acquires_total", "Acquires cancelled while waiting for a connection.", nil, nil)
	poolConstructing = prometheus.NewDesc("db_pool_constructing_conns", "Connections being opened.", nil, nil)
	poolNew          = prometheus.NewDesc("db_pool_new_conns_total", "Connections opened (a steady climb: connections lost and replaced).", nil, nil)
	poolIdleClosed   = prometheus.NewDesc("db_pool_idle_closed_conns_total", "Connections closed for being idle too long.", nil, nil)
	poolAgedClosed   = prometheus.NewDesc("db_pool_lifetime_closed_conns_total", "Connections closed at the end of their lifetime.", nil, nil)
)

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolAcquired, poolIdle, poolTotal, poolMax, poolAcquires, poolWait, poolEmpty,
		poolCanceled, poolConstructing, poolNew, poolIdleClosed, poolAgedClosed} {
		ch <- d
	}
}

func (p poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := p.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolAcquired, prometheus.GaugeValue, float64(s.AcquiredConns()))
	ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(s.IdleConns()))
	ch <- prometheus.MustNewConstMetric(poolTotal, prometheus.GaugeValue, float64(s.TotalConns()))
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolAcquires, prometheus.CounterValue, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, s.AcquireDuration().Seconds())
	ch <- prometheus.MustNewConstMetric(poolEmpty, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolCanceled, prometheus.CounterValue, float64(s.CanceledAcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolConstructing, prometheus.GaugeValue, float64(s.ConstructingConns()))
	ch <- prometheus.MustNewConstMetric(poolNew, prometheus.CounterValue, float64(s.NewConnsCount()))
	ch <- prometheus.MustNewConstMetric(poolIdleClosed, prometheus.CounterValue, float64(s.MaxIdleDestroyCount()))
	ch <- prometheus.MustNewConstMetric(poolAgedClosed, prometheus.CounterValue, float64(s.MaxLifetimeDestroyCount()))
}
