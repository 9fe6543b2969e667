// Package mcp is Synap's MCP surface: the Model Context Protocol over
// Streamable HTTP (the official go-sdk), mounted at /mcp by package httpapi.
//
// Each MCP session owns one commands.Session of surface mcp, bound to the
// access key that opened it; every tool runs its command through
// Server.Call on that session, so permissions, quotas, rate limits,
// isolation and statistics are the RESP surface's code, and tool errors
// carry RESP's texts.
package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"synap/commands"
	"synap/resp"
	"synap/tenant"
)

// Authenticator tells who is behind an HTTP request. A nil principal with
// a nil error means the server needs no authentication (standalone with
// neither requirepass nor an admin key): the request is anonymous. An
// error is the reason the request is refused (see statusOf).
type Authenticator func(r *http.Request) (*tenant.Principal, error)

// Options configure the MCP surface.
type Options struct {
	// AllowedOrigins are the browser origins (scheme://host[:port]) allowed
	// to call /mcp; "*" allows any. A request without an Origin header (not
	// from a browser) is always allowed; one with any other origin gets 403,
	// as the MCP transport asks, against DNS rebinding.
	AllowedOrigins []string
	// SessionTimeout closes an MCP session idle that long, with its
	// commands.Session. Zero means DefaultSessionTimeout.
	SessionTimeout time.Duration
	// MaxSessions bounds open MCP sessions server-wide, MaxTenantSessions
	// per tenant (a tenant's max_connections also applies: each session is
	// one of its connections). Zero means the defaults below.
	MaxSessions       int
	MaxTenantSessions int
	// MaxBodyBytes bounds one request body. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxBlock bounds how long a blocking command (BLPOP, XREAD BLOCK,
	// QCONSUME BLOCK) waits inside one tool call; a wait cut short answers
	// as a timeout (null). Zero means DefaultMaxBlock.
	MaxBlock time.Duration
	Logger   *slog.Logger
}

// Defaults for Options' zero values.
const (
	DefaultSessionTimeout    = 10 * time.Minute
	DefaultMaxSessions       = 1024
	DefaultMaxTenantSessions = 64
	DefaultMaxBodyBytes      = 4 << 20
	DefaultMaxBlock          = 60 * time.Second
)

// Errors the handler answers with before any command runs, as JSON bodies
// {"error": "<text>"} like the other HTTP routes.
const (
	errOrigin        = "origin not allowed"
	errBodyTooLarge  = "ERR request body too large"
	errSessionOwner  = "NOPERM this MCP session belongs to another access key"
	errTooMany       = "ERR max number of MCP sessions reached"
	errTenantTooMany = "ERR max number of MCP sessions for this tenant reached (%d)"
)

// Handler serves MCP at whatever path it is mounted on.
func Handler(srv *commands.Server, auth Authenticator, opts Options) http.Handler {
	if opts.SessionTimeout <= 0 {
		opts.SessionTimeout = DefaultSessionTimeout
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = DefaultMaxSessions
	}
	if opts.MaxTenantSessions <= 0 {
		opts.MaxTenantSessions = DefaultMaxTenantSessions
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxBlock <= 0 {
		opts.MaxBlock = DefaultMaxBlock
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h := &handler{
		srv:      srv,
		auth:     auth,
		opts:     opts,
		sessions: map[string]*session{},
		perTen:   map[string]int{},
		servers:  map[uint64]*sdk.Server{},
		cache:    sdk.NewSchemaCache(),
	}
	// The SDK asks for a server on every request (for its protocol
	// versions); a request that opens a session gets the one with the tools
	// its key may run. The rest get this one, which has no tools.
	h.base = sdk.NewServer(impl, &sdk.ServerOptions{SchemaCache: h.cache})
	h.sdk = sdk.NewStreamableHTTPHandler(h.requestServer, &sdk.StreamableHTTPOptions{
		SessionTimeout:      opts.SessionTimeout,
		MaxRequestBodyBytes: opts.MaxBodyBytes,
		Logger:              opts.Logger,
	})
	return h
}

var impl = &sdk.Implementation{Name: "synap", Title: "Synap", Version: commands.RedisVersion}

type handler struct {
	srv  *commands.Server
	auth Authenticator
	opts Options
	sdk  *sdk.StreamableHTTPHandler
	base *sdk.Server

	cache *sdk.SchemaCache

	// servers are the SDK servers by the set of tools they offer (a bit per
	// entry of tools): sessions whose keys may run the same tools share one,
	// since building a server (schemas checked per tool) costs milliseconds.
	smu     sync.Mutex
	servers map[uint64]*sdk.Server

	mu       sync.Mutex
	sessions map[string]*session // by the SDK's session id, once it has one
	held     int                 // sessions counted against MaxSessions
	perTen   map[string]int      // the same per tenant id
}

// session is one MCP session: its commands.Session and who opened it.
type session struct {
	id       string      // the SDK's Mcp-Session-Id, once it gave one
	owner    string      // identity() of the key that opened it
	ten      string      // tenant id, "" for the operator or anonymous
	deleting atomic.Bool // a DELETE is closing it
	// counted: its place is held in handler.held and perTen (under handler.mu).
	counted bool
	cs      *commands.Session
	srv     *sdk.Server // shared with the sessions offered the same tools
	// turn serialises tool calls: a commands.Session runs one command at a
	// time, and MCP clients may send calls concurrently. waiting counts the
	// calls queued for it (at most maxWaiting: each holds a request).
	turn    chan struct{}
	waiting atomic.Int32
	closed  chan struct{}
}

// maxWaiting bounds the tool calls of one session waiting behind the one
// running (a blocked BLPOP, say): more are refused rather than parked.
const maxWaiting = 16

type serverKey struct{}

func (h *handler) requestServer(r *http.Request) *sdk.Server {
	if s, ok := r.Context().Value(serverKey{}).(*sdk.Server); ok {
		return s
	}
	return h.base
}

// identity names the key behind p: a session opened with one key is
// refused to any other, even of the same tenant, because the session runs
// with the permissions of the key that opened it.
func identity(p *tenant.Principal) string {
	switch {
	case p == nil:
		return ""
	case p.Operator:
		return "operator"
	}
	return p.UserID + "\x00" + p.KeyID
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && !h.originAllowed(o) {
		writeError(w, http.StatusForbidden, errOrigin)
		return
	}
	p, err := h.auth(r)
	if err != nil {
		status, msg := statusOf(err)
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", "Bearer")
		}
		writeError(w, status, msg)
		return
	}
	if p != nil && !p.AllowsSurface(tenant.SurfaceMCP) {
		writeError(w, http.StatusForbidden, commands.SurfaceErr(p.KeyID, tenant.SurfaceMCP))
		return
	}
	if p != nil && p.UserID != "" {
		// The tenant's bytes a second, shared with its other connections.
		r.Body = readCloser{h.srv.Tenants.Get(p.UserID).PaceReader(r.Context(), r.Body), r.Body}
	}
	if id := r.Header.Get("Mcp-Session-Id"); id != "" {
		h.mu.Lock()
		s := h.sessions[id]
		h.mu.Unlock()
		// An unknown id is the SDK's to answer (404: the client starts over).
		if s != nil && s.owner != identity(p) {
			writeError(w, http.StatusForbidden, errSessionOwner)
			return
		}
		if s != nil && r.Method == http.MethodDelete {
			// The SDK's close waits for calls in flight: a blocked one
			// must be withdrawn first, or it would hold the DELETE for
			// up to MaxBlock. The SDK closes the session itself.
			s.deleting.Store(true)
			s.cs.Kill()
		}
		h.sdk.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodPost {
		h.sdk.ServeHTTP(w, r) // the SDK refuses GET/DELETE without a session
		return
	}
	if r.ContentLength > h.opts.MaxBodyBytes {
		// Refused unread, as REST refuses it (httpapi's readBody).
		writeError(w, http.StatusRequestEntityTooLarge, errBodyTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, errBodyTooLarge)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !isInitialize(body) {
		// Anything else without a session (a client probing for the
		// sessionless protocol, junk) is the SDK's to refuse: it gets no
		// commands.Session, which would count as one of the tenant's
		// connections while it lasted.
		h.sdk.ServeHTTP(w, r)
		return
	}
	s, status, msg := h.open(r, p)
	if s == nil {
		writeError(w, status, msg)
		return
	}
	iw := &idWriter{ResponseWriter: w, h: h, s: s}
	h.sdk.ServeHTTP(iw, r.WithContext(context.WithValue(r.Context(), serverKey{}, s.srv)))
	h.watch(s)
}

// idWriter lists a new session under the id the SDK gives it as the SDK
// starts its reply: before the client can learn the id, so no request
// naming it escapes the owner check.
type idWriter struct {
	http.ResponseWriter
	h    *handler
	s    *session
	done bool
}

func (w *idWriter) listed() {
	if w.done {
		return
	}
	w.done = true
	if id := w.Header().Get("Mcp-Session-Id"); id != "" {
		w.h.mu.Lock()
		w.s.id = id
		w.h.sessions[id] = w.s
		w.h.mu.Unlock()
	}
}

func (w *idWriter) WriteHeader(code int) {
	w.listed()
	w.ResponseWriter.WriteHeader(code)
}

func (w *idWriter) Write(b []byte) (int, error) {
	w.listed()
	return w.ResponseWriter.Write(b)
}

func (w *idWriter) Flush() {
	w.listed()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *idWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// sessionOf is the session a tool call belongs to.
func (h *handler) sessionOf(ss *sdk.ServerSession) *session {
	if ss == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sessions[ss.ID()]
}

// isInitialize reports whether body is an initialize request, the only one
// that opens a session.
func isInitialize(body []byte) bool {
	var m struct {
		Method string `json:"method"`
	}
	return json.Unmarshal(body, &m) == nil && m.Method == "initialize"
}

func (h *handler) originAllowed(o string) bool {
	return slices.ContainsFunc(h.opts.AllowedOrigins, func(a string) bool {
		return a == "*" || strings.EqualFold(a, o)
	})
}

// open creates the session a POST without a session id may start: a
// commands.Session of surface mcp authenticated with the request's bearer
// key through AUTH, so the checks are AUTH's (throttling, the surface, the
// tenant's max_connections), and an MCP server with the tools that key may
// run. The SDK closes it again unless the request initializes it.
func (h *handler) open(r *http.Request, p *tenant.Principal) (*session, int, string) {
	s := &session{owner: identity(p), turn: make(chan struct{}, 1), closed: make(chan struct{})}
	if p != nil && !p.Operator {
		s.ten = p.UserID
	}
	h.mu.Lock()
	switch {
	case h.held >= h.opts.MaxSessions:
		h.mu.Unlock()
		return nil, http.StatusServiceUnavailable, errTooMany
	case s.ten != "" && h.perTen[s.ten] >= h.opts.MaxTenantSessions:
		h.mu.Unlock()
		return nil, http.StatusTooManyRequests, fmt.Sprintf(errTenantTooMany, h.opts.MaxTenantSessions)
	}
	h.held++
	h.perTen[s.ten]++
	s.counted = true
	h.mu.Unlock()

	cs, err := h.srv.NewSession(tenant.SurfaceMCP, transport{remote: r.RemoteAddr, local: localAddr(r)})
	if err != nil {
		h.forget(s)
		return nil, http.StatusServiceUnavailable, "ERR server is shutting down"
	}
	s.cs = cs
	if h.srv.PreAuth(cs) {
		key, _ := bearer(r)
		v, err := h.srv.Call(r.Context(), cs, []byte("AUTH"), []byte(key))
		if err == nil && v.Kind == resp.KindError {
			err = replyError(v)
		}
		if err != nil {
			h.end(s)
			status, msg := statusOf(err)
			return nil, status, msg
		}
	}
	cs.SetProto(3) // maps, doubles and nulls reach JSON as what they are
	s.srv = h.serverFor(cs.P)
	return s, 0, ""
}

// watch ties the commands.Session to the MCP session's life: closed when
// the MCP session ends (DELETE, idle timeout, a failed initialize), and
// the MCP session closed when the commands.Session is killed (CLIENT KILL,
// shutdown, which waits for every session to close).
func (h *handler) watch(s *session) {
	var ss *sdk.ServerSession
	if s.id != "" {
		for x := range s.srv.Sessions() {
			if x.ID() == s.id {
				ss = x
			}
		}
	}
	if ss == nil {
		h.end(s)
		return
	}
	done := make(chan struct{})
	go func() { _ = ss.Wait(); close(done) }()
	go func() {
		select {
		case <-done:
		case <-s.cs.Killed():
			if !s.deleting.Load() {
				_ = ss.Close()
			}
			<-done
		}
		h.end(s)
	}()
}

// end closes s's commands.Session: calls waiting for their turn are
// refused, and a blocked one is withdrawn (Kill ends its wait, nothing
// popped) so the session closes at once.
func (h *handler) end(s *session) {
	h.forget(s)
	close(s.closed)
	s.cs.Kill()
	s.turn <- struct{}{}
	s.cs.Close()
}

func (h *handler) forget(s *session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sessions[s.id] == s {
		delete(h.sessions, s.id)
	}
	if s.counted {
		s.counted = false
		h.held--
		if h.perTen[s.ten]--; h.perTen[s.ten] <= 0 {
			delete(h.perTen, s.ten)
		}
	}
}

// transport is what the core needs of an MCP session's other side: there
// is no socket; Kill is seen through Session.Killed (watch).
type transport struct{ remote, local string }

func (t transport) RemoteAddr() string { return t.remote }
func (t transport) LocalAddr() string  { return t.local }
func (transport) Kill()                {}
func (transport) QueryBuf() int        { return 0 }
func (transport) FD() int64            { return -1 }
func (transport) Wake()                {}

func localAddr(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(interface{ String() string }); ok {
		return a.String()
	}
	return ""
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), true
	}
	return "", false
}

// replyError is a RESP error reply as a Go error with the same text.
type replyError resp.Value

func (e replyError) Error() string { return string(e.Str) }

// statusOf maps a refusal to its HTTP status and text, as for every HTTP
// route: 401 no or bad key, 403 permission or surface, 429 rate limit or
// monthly quota or too many connections, 507 storage quota, 503 control
// plane. An error with a StatusCode method (the router's) says its own.
func statusOf(err error) (int, string) {
	var sc interface{ StatusCode() int }
	if errors.As(err, &sc) {
		return sc.StatusCode(), err.Error()
	}
	switch {
	case errors.Is(err, tenant.ErrUnknownKey):
		return http.StatusUnauthorized, resp.ErrWrongPass
	case errors.Is(err, tenant.ErrUnavailable):
		return http.StatusServiceUnavailable, commands.ErrControlPlane
	}
	msg := err.Error()
	code, _, _ := strings.Cut(msg, " ")
	switch code {
	case "NOAUTH", "WRONGPASS":
		return http.StatusUnauthorized, msg
	case "NOPERM":
		return http.StatusForbidden, msg
	case "RATELIMIT":
		return http.StatusTooManyRequests, msg
	case "QUOTA":
		if strings.HasPrefix(msg, "QUOTA storage") {
			return http.StatusInsufficientStorage, msg
		}
		return http.StatusTooManyRequests, msg
	}
	if msg == commands.ErrControlPlane {
		return http.StatusServiceUnavailable, msg
	}
	return http.StatusUnauthorized, msg
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// readCloser reads through a pacing reader and closes the body beneath.
type readCloser struct {
	io.Reader
	io.Closer
}
