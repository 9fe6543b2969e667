// Package httpapi is Synap's HTTP surface: REST compatible with the Upstash
// REST API, Server-Sent Events for pub/sub, WebSocket, /health, /metrics,
// /openapi.json, and the mount point of MCP. Every request is a session of
// its surface (commands.Server.NewSession) whose commands run through
// Server.Exec, so authentication, permissions, surfaces, isolation, quotas,
// rate limits and statistics are the RESP surface's code, not a copy.
package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"synap/commands"
	"synap/resp"
	"synap/tenant"
)

// Options are the HTTP surface's settings (cmd/synap's http-* flags).
type Options struct {
	// MaxBodyBytes bounds a request body; a larger one gets 413.
	MaxBodyBytes int64
	// ReadHeaderTimeout and ReadTimeout bound how long a client may take
	// to send its headers and its whole request (slowloris); IdleTimeout
	// how long a kept-alive connection may wait for its next request.
	ReadHeaderTimeout, ReadTimeout, IdleTimeout time.Duration
	// WriteTimeout bounds the write of one REST reply or WebSocket frame:
	// a client that stops reading is dropped after it.
	WriteTimeout time.Duration
	// WSMaxMessage bounds one incoming WebSocket message.
	WSMaxMessage int64
	// WSAuthTimeout is how long a WebSocket without an Authorization
	// header has to send its {"auth": key} frame.
	WSAuthTimeout time.Duration
	// WSPingInterval is how often an idle WebSocket is pinged.
	WSPingInterval time.Duration
	// WSSendQueue bounds the frames queued for one WebSocket: a reader
	// slower than that is disconnected.
	WSSendQueue int
	// MaxStreamsPerTenant bounds a tenant's open WebSockets and SSE
	// streams together (standalone counts as one tenant).
	MaxStreamsPerTenant int
	// AllowedOrigins are the browser Origins accepted on /ws, /mcp and
	// /subscribe ("*" accepts any); a request without Origin (not a
	// browser) is accepted.
	AllowedOrigins []string
	// CORSOrigins are the Origins REST responses allow by CORS headers;
	// empty: no CORS headers (off).
	CORSOrigins []string
	// MCP builds the handler of /mcp (package httpapi/mcp) from the
	// authenticator it must use; the router checks Origin and that the
	// key allows the mcp surface before the handler sees a request. Nil:
	// /mcp answers 501.
	MCP func(auth Authenticator) http.Handler
	// MaxConns bounds the open HTTP connections (0: the server's
	// maxclients); one past it is closed at once. WebSockets leave the
	// count when upgraded: MaxStreamsPerTenant bounds them.
	MaxConns int
	// HubStats, when set, adds the control plane's calls and cache hits to
	// /metrics.
	HubStats func() map[string]int64
}

// Defaults for the zero fields of Options.
const (
	DefaultMaxBodyBytes        = 8 << 20
	DefaultReadHeaderTimeout   = 5 * time.Second
	DefaultReadTimeout         = 30 * time.Second
	DefaultIdleTimeout         = 120 * time.Second
	DefaultWriteTimeout        = 30 * time.Second
	DefaultWSMaxMessage        = 1 << 20
	DefaultWSAuthTimeout       = 5 * time.Second
	DefaultWSPingInterval      = 30 * time.Second
	DefaultWSSendQueue         = 256
	DefaultMaxStreamsPerTenant = 32
)

func (o *Options) fill() {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	def(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&o.ReadTimeout, DefaultReadTimeout)
	def(&o.IdleTimeout, DefaultIdleTimeout)
	def(&o.WriteTimeout, DefaultWriteTimeout)
	def(&o.WSAuthTimeout, DefaultWSAuthTimeout)
	def(&o.WSPingInterval, DefaultWSPingInterval)
	if o.WSMaxMessage <= 0 {
		o.WSMaxMessage = DefaultWSMaxMessage
	}
	if o.WSSendQueue <= 0 {
		o.WSSendQueue = DefaultWSSendQueue
	}
	if o.MaxStreamsPerTenant <= 0 {
		o.MaxStreamsPerTenant = DefaultMaxStreamsPerTenant
	}
}

// API is the HTTP surface of one commands.Server.
type API struct {
	srv     *commands.Server
	opts    Options
	metrics *metrics

	streamMu sync.Mutex
	streams  map[string]int // open WebSockets and SSE streams by tenant

	httpSrv *http.Server
	mcp     http.Handler
	// conns counts open HTTP connections (connState); rejected those
	// closed at accept for being past MaxConns.
	conns, rejected atomic.Int64
	// pendingAuth counts WebSockets waiting for their auth frame.
	pendingAuth atomic.Int64
	// bytesIn and bytesOut are request and response body bytes (REST and
	// SSE; a WebSocket's frames are not counted).
	bytesIn, bytesOut atomic.Int64
}

// New builds the HTTP surface of srv.
func New(srv *commands.Server, opts Options) *API {
	opts.fill()
	a := &API{srv: srv, opts: opts, streams: map[string]int{}}
	a.metrics = newMetrics(a)
	// Built here, not in Serve: Shutdown may run on another goroutine.
	a.httpSrv = &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: a.opts.ReadHeaderTimeout,
		ReadTimeout:       a.opts.ReadTimeout,
		IdleTimeout:       a.opts.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		// The server logs go to the process's log without URLs: a
		// request's path may hold keys and values.
		ErrorLog:  slog.NewLogLogger(srv.Log.Handler(), slog.LevelDebug),
		ConnState: a.connState,
	}
	if opts.MCP != nil {
		a.mcp = opts.MCP(a.AuthenticateMCP)
	}
	return a
}

// Authenticator tells the MCP handler who is behind a request: the
// principal of its Bearer key, checked on the mcp surface. Nil with a nil
// error: standalone mode, where there is no principal (no password, or the
// right one). The error's text is the refusal's (statusOf maps it). Its
// shape is package httpapi/mcp's Authenticator, so one converts to the
// other.
type Authenticator func(r *http.Request) (*tenant.Principal, error)

// Serve serves HTTP on ln until Shutdown; it returns http.ErrServerClosed
// then.
func (a *API) Serve(ln net.Listener) error {
	// ReadTimeout bounds the request body; WebSockets and SSE clear the
	// deadlines for their connection (http.ResponseController).
	return a.httpSrv.Serve(ln)
}

// Shutdown stops accepting and closes idle connections; sessions still
// open are killed by commands.Server.Close.
func (a *API) Shutdown(ctx context.Context) error {
	return a.httpSrv.Shutdown(ctx)
}

// connState keeps the count of open connections and closes one past
// MaxConns as soon as it is accepted: before its request is read, so an
// idle flood costs a socket and this check.
func (a *API) connState(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		limit := int64(a.opts.MaxConns)
		if limit <= 0 {
			limit = int64(a.srv.Config().MaxClients)
		}
		if a.conns.Add(1) > limit && limit > 0 {
			a.rejected.Add(1)
			_ = c.Close()
		}
	case http.StateHijacked, http.StateClosed:
		a.conns.Add(-1)
	}
}

// Handler is the router. It routes on the raw path's first segment and
// never cleans the path: "/get/.." reads the key "..", and
// "/health/../flushall" is not /health.
func (a *API) Handler() http.Handler {
	return http.HandlerFunc(a.route)
}

func (a *API) route(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &statusWriter{ResponseWriter: w, status: 200}
	body := &countingBody{ReadCloser: r.Body}
	r.Body = body
	name := a.dispatch(rw, r)
	// net/http decides what to do with a body left unread by its own
	// type: shown its body, it closes the connection after the reply when
	// 256 KB or more is left; shown the wrapper, it read and discarded 256
	// KB of every refused body first.
	r.Body = body.ReadCloser
	a.metrics.observe(name, rw.status, time.Since(start))
	a.bytesIn.Add(body.n)
	a.bytesOut.Add(rw.n)
}

// dispatch serves r and names its route for the metrics.
func (a *API) dispatch(w *statusWriter, r *http.Request) string {
	raw := r.URL.EscapedPath()
	if !strings.HasPrefix(raw, "/") {
		writeError(w, http.StatusBadRequest, "ERR bad request path")
		return "bad"
	}
	segs := strings.Split(raw[1:], "/")
	first := segs[0]
	if hasQueryToken(r) {
		// Refused before anything else: a secret in a URL ends up in
		// proxies' and browsers' logs. Said so, never echoed.
		writeError(w, http.StatusBadRequest, errQueryToken)
		return "bad"
	}
	a.cors(w, r)
	if r.Method == http.MethodOptions && len(a.opts.CORSOrigins) > 0 {
		w.WriteHeader(http.StatusNoContent)
		return "cors"
	}
	if !(len(segs) == 1 && (first == "health" || first == "openapi.json")) && a.crossSite(r) {
		writeError(w, http.StatusForbidden, "ERR origin not allowed")
		return "bad"
	}
	switch {
	case first == "health" && len(segs) == 1:
		if !methods(w, r, http.MethodGet, http.MethodHead) {
			return "health"
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
		return "health"
	case first == "openapi.json" && len(segs) == 1:
		if methods(w, r, http.MethodGet, http.MethodHead) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(openAPI)
		}
		return "openapi"
	case first == "metrics" && len(segs) == 1:
		if methods(w, r, http.MethodGet) {
			a.serveMetrics(w, r)
		}
		return "metrics"
	case first == "ws" && len(segs) == 1:
		if methods(w, r, http.MethodGet) {
			a.serveWS(w, r)
		}
		return "ws"
	case first == "mcp" && len(segs) == 1:
		a.serveMCP(w, r)
		return "mcp"
	case (first == "subscribe" || first == "psubscribe") && len(segs) == 2 && segs[1] != "":
		if methods(w, r, http.MethodGet) {
			a.serveSSE(w, r, strings.ToUpper(first), segs[1])
		}
		return first
	case first == "pipeline" && len(segs) == 1:
		if methods(w, r, http.MethodPost) {
			a.servePipeline(w, r, false)
		}
		return "pipeline"
	case first == "multi-exec" && len(segs) == 1:
		if methods(w, r, http.MethodPost) {
			a.servePipeline(w, r, true)
		}
		return "multi-exec"
	case first == "" && len(segs) == 1:
		if methods(w, r, http.MethodPost) {
			a.serveJSONCommand(w, r)
		}
		return "command"
	case first == "":
		writeError(w, http.StatusNotFound, "ERR no such route")
		return "notfound"
	default:
		if methods(w, r, http.MethodGet, http.MethodPost) {
			a.servePathCommand(w, r, segs)
		}
		return "command"
	}
}

// methods answers 405 with Allow when r's method is not one of allowed.
func methods(w http.ResponseWriter, r *http.Request, allowed ...string) bool {
	for _, m := range allowed {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	writeError(w, http.StatusMethodNotAllowed, "ERR method "+sanitizeMethod(r.Method)+" not allowed on this route")
	return false
}

func sanitizeMethod(m string) string {
	if len(m) > 16 {
		m = m[:16]
	}
	return strings.Map(func(r rune) rune {
		if r < 'A' || r > 'Z' {
			return '?'
		}
		return r
	}, m)
}

const errQueryToken = "ERR access keys are not accepted in the query string; send Authorization: Bearer <key>"

// hasQueryToken reports a query parameter that carries a secret (Upstash's
// _token, and the usual names for one).
func hasQueryToken(r *http.Request) bool {
	if r.URL.RawQuery == "" {
		return false
	}
	for name := range r.URL.Query() {
		switch strings.ToLower(name) {
		case "_token", "token", "access_token", "auth", "key", "apikey", "api_key":
			return true
		}
	}
	return false
}

// cors adds CORS headers for an allowed Origin; with no CORSOrigins
// configured it adds nothing, so browsers refuse cross-origin reads.
func (a *API) cors(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" || !originIn(origin, a.opts.CORSOrigins) {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Upstash-Encoding")
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Max-Age", "600")
}

func originIn(origin string, list []string) bool {
	for _, o := range list {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// originAllowed checks a browser's Origin on the routes a page could open
// with the user's ambient credentials (WebSocket, SSE, MCP). A request
// without Origin is not from a browser page and is accepted.
func (a *API) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if originIn(origin, a.opts.AllowedOrigins) {
		return true
	}
	// The page served by the same host and port is not cross-origin.
	if u, ok := strings.CutPrefix(origin, "http://"); ok && strings.EqualFold(u, r.Host) {
		return true
	}
	if u, ok := strings.CutPrefix(origin, "https://"); ok && strings.EqualFold(u, r.Host) {
		return true
	}
	return false
}

// crossSite reports a request a browser sent on behalf of a page that is
// not allowed here: one with a foreign Origin (neither this server's, nor
// in http-allowed-origins or http-cors-origins), or one without Origin
// that the browser marks as coming from another site (an <img> or a link
// doing GET /set/k/v). A page must not run commands through a visitor's
// browser, which matters most in standalone mode without a password,
// where no Bearer key stands in its way. Clients that are not browsers
// send neither header.
func (a *API) crossSite(r *http.Request) bool {
	if origin := r.Header.Get("Origin"); origin != "" {
		return !a.originAllowed(r) && !originIn(origin, a.opts.CORSOrigins)
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	return false
}

// statusWriter remembers the status for the metrics and passes Flush and
// Unwrap through (SSE and the WebSocket upgrade need them).
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	n      int64 // body bytes written
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// countingBody counts the request body bytes a handler read.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// transport is an HTTP session's side for the core: where the client is,
// and how CLIENT KILL or shutdown ends its request.
type transport struct {
	remote, local string
	cancel        context.CancelFunc
	wake          func()
}

func (t *transport) RemoteAddr() string { return t.remote }
func (t *transport) LocalAddr() string  { return t.local }
func (t *transport) Kill()              { t.cancel() }
func (t *transport) QueryBuf() int      { return 0 }
func (t *transport) FD() int64          { return -1 }
func (t *transport) Wake() {
	if t.wake != nil {
		t.wake()
	}
}

func localAddr(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return a.String()
	}
	return ""
}

// errAuthFailed carries the status and text of a refused authentication.
type authError struct {
	status int
	msg    string
}

func (e *authError) Error() string { return e.msg }

// bearer is the access key of r's Authorization header, "" when there is
// none. A header that is not a Bearer credential is an error.
func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", nil
	}
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", &authError{http.StatusUnauthorized, "ERR the Authorization header must be Bearer <access key>"}
	}
	return tok, nil
}

// open creates a session of surface for r and authenticates it with key
// through AUTH, the same command a RESP client sends: the directory, the
// throttle of failed attempts, the surface check and the connection limit
// are the core's. The caller closes the session.
func (a *API) open(ctx context.Context, cancel context.CancelFunc, r *http.Request, surface tenant.Surface, key string, wake func()) (*commands.Session, error) {
	tr := &transport{remote: r.RemoteAddr, local: localAddr(r), cancel: cancel, wake: wake}
	c, err := a.srv.NewSession(surface, tr)
	if err != nil {
		return nil, &authError{http.StatusServiceUnavailable, "ERR server is shutting down"}
	}
	if err := a.authenticate(ctx, c, key); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// authenticate binds c to key. Standalone without a password is open: a
// key sent anyway (Upstash clients always send one) is ignored.
func (a *API) authenticate(ctx context.Context, c *commands.Session, key string) error {
	cfg := a.srv.Config()
	if !cfg.ClusterMode && cfg.RequirePass == "" {
		return nil
	}
	if key == "" {
		return &authError{http.StatusUnauthorized, "NOAUTH Authentication required."}
	}
	v, err := a.srv.Call(ctx, c, []byte("AUTH"), []byte(key))
	if err != nil {
		return &authError{http.StatusServiceUnavailable, commands.ErrControlPlane}
	}
	if v.Kind == '-' || v.Kind == '!' {
		msg := string(v.Str)
		return &authError{statusOf(msg), msg}
	}
	return nil
}

// session opens r's session of surface from its Authorization header,
// answering the refusal itself when it fails.
func (a *API) session(w http.ResponseWriter, r *http.Request, surface tenant.Surface) (*commands.Session, context.Context, context.CancelFunc, bool) {
	key, err := bearer(r)
	if err != nil {
		writeAuthError(w, err)
		return nil, nil, nil, false
	}
	ctx, cancel := context.WithCancel(r.Context())
	c, err := a.open(ctx, cancel, r, surface, key, nil)
	if err != nil {
		cancel()
		writeAuthError(w, err)
		return nil, nil, nil, false
	}
	return c, ctx, cancel, true
}

func writeAuthError(w http.ResponseWriter, err error) {
	var ae *authError
	if !errors.As(err, &ae) {
		ae = &authError{http.StatusUnauthorized, err.Error()}
	}
	writeErrorHeaders(w, ae.status, ae.msg)
	writeError(w, ae.status, ae.msg)
}

// statusOf maps an error reply to its HTTP status (docs/HTTP.md, "Status
// codes"); a command's ordinary error is 400, as Upstash answers it.
func statusOf(msg string) int {
	switch {
	case strings.HasPrefix(msg, "NOAUTH"), strings.HasPrefix(msg, "WRONGPASS"):
		return http.StatusUnauthorized
	case strings.HasPrefix(msg, "NOPERM"):
		return http.StatusForbidden
	case strings.HasPrefix(msg, "RATELIMIT"),
		strings.HasPrefix(msg, "QUOTA monthly"),
		strings.HasPrefix(msg, "QUOTA connection"),
		strings.HasPrefix(msg, "ERR too many failed AUTH"):
		return http.StatusTooManyRequests
	case strings.HasPrefix(msg, "QUOTA payload"):
		return http.StatusRequestEntityTooLarge
	case strings.HasPrefix(msg, "QUOTA"), strings.HasPrefix(msg, "OOM"):
		return http.StatusInsufficientStorage
	case msg == commands.ErrControlPlane, strings.HasPrefix(msg, "ERR max number of clients"):
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// writeErrorHeaders adds what a refusal's status promises: the scheme to
// authenticate with, when to retry.
func writeErrorHeaders(w http.ResponseWriter, status int, msg string) {
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="synap"`)
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(msg, time.Now())))
	}
}

// retryAfter is Retry-After in whole seconds for a 429: the wait the text
// names, rounded up, or the start of next month (UTC) for the monthly
// quota.
func retryAfter(msg string, now time.Time) int {
	if strings.HasPrefix(msg, "QUOTA monthly") {
		u := now.UTC()
		next := time.Date(u.Year(), u.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		return int(next.Sub(u)/time.Second) + 1
	}
	if _, rest, ok := strings.Cut(msg, "retry in "); ok {
		ms, _, _ := strings.Cut(rest, " ")
		if n, err := strconv.Atoi(ms); err == nil && n >= 0 {
			return (n + 999) / 1000
		}
	}
	return 1
}

// rateHeaders tells a tenant's client its rate limit and the tokens left.
func rateHeaders(w http.ResponseWriter, c *commands.Session) {
	t := c.T
	if t == nil {
		return
	}
	l := t.Limits()
	if l.RequestsPerSecond <= 0 {
		return
	}
	w.Header().Set("X-RateLimit-Limit", strconv.FormatInt(l.RequestsPerSecond, 10))
	w.Header().Set("X-RateLimit-Remaining", strconv.FormatInt(t.RateRemaining(l, time.Now()), 10))
}

// acquireStream counts an open WebSocket or SSE stream against its
// tenant's limit; release gives it back.
func (a *API) acquireStream(c *commands.Session) (release func(), ok bool) {
	id := ""
	if c.T != nil {
		id = c.T.UserID
	}
	a.streamMu.Lock()
	defer a.streamMu.Unlock()
	if a.streams[id] >= a.opts.MaxStreamsPerTenant {
		return nil, false
	}
	a.streams[id]++
	return func() {
		a.streamMu.Lock()
		if a.streams[id]--; a.streams[id] <= 0 {
			delete(a.streams, id)
		}
		a.streamMu.Unlock()
	}, true
}

func errTooManyStreams(n int) string {
	return "ERR too many open streams for this tenant (WebSocket and SSE): limit " + strconv.Itoa(n)
}

// serveMCP checks Origin and the key (which must allow the mcp surface)
// before the MCP handler sees the request.
func (a *API) serveMCP(w http.ResponseWriter, r *http.Request) {
	if !a.originAllowed(r) {
		writeError(w, http.StatusForbidden, "ERR origin not allowed")
		return
	}
	c, _, cancel, ok := a.session(w, r, tenant.SurfaceMCP)
	if !ok {
		return
	}
	c.Close()
	cancel()
	if a.mcp == nil {
		writeError(w, http.StatusNotImplemented, "ERR MCP is not available in this build")
		return
	}
	a.mcp.ServeHTTP(w, r)
}

// AuthenticateMCP is the Authenticator the MCP handler is built with. The
// key is checked by AUTH on a session of the mcp surface, as every route's
// is, and that session is closed again: the MCP handler keeps sessions of
// its own.
func (a *API) AuthenticateMCP(r *http.Request) (*tenant.Principal, error) {
	key, err := bearer(r)
	if err != nil {
		return nil, err
	}
	c, err := a.open(r.Context(), func() {}, r, tenant.SurfaceMCP, key, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.P, nil
}

// call runs args on c through the entry point (Server.Call: a reply of
// several values, as SUBSCRIBE a b gives, is an array of them).
func (a *API) call(ctx context.Context, c *commands.Session, args [][]byte) (resp.Value, error) {
	return a.srv.Call(ctx, c, args...)
}
