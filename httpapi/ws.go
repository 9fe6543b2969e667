package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"synap/commands"
	"synap/resp"
	"synap/tenant"
)

// wsFrame is what a client sends: {"auth": key} once, first, when the
// upgrade carried no Authorization header; then {"id": ..., "cmd": [...]}
// for every command (SUBSCRIBE, XREAD BLOCK and QCONSUME included).
type wsFrame struct {
	Auth *string        `json:"auth"`
	ID   jsontext.Value `json:"id"`
	Cmd  jsontext.Value `json:"cmd"`
}

const (
	errWSFrame    = `ERR a frame is a JSON object {"id": <string or number>, "cmd": [<command>, <args>...]}`
	errWSAuthLate = `ERR {"auth": <key>} is accepted only as the first frame`
	errWSID       = "ERR id must be a string or a number of at most 128 bytes"
)

// wsConn is one WebSocket: one session, its goroutine running commands in
// order, and a writer goroutine behind a bounded queue.
type wsConn struct {
	a    *API
	conn *websocket.Conn
	c    *commands.Session
	enc  encoder
	// out is the send queue: full means the client reads slower than it
	// is sent to, and it is disconnected rather than buffered without end.
	out    chan []byte
	ctx    context.Context
	cancel context.CancelFunc
	// stalled: the reader waits for the session to take a frame.
	stalled atomic.Bool
	// queued is the bytes in out; maxQueued bounds it (0: only the frame
	// count does), so a few large replies to a client that does not read
	// cannot pile up either.
	queued    atomic.Int64
	maxQueued int64
}

func (a *API) serveWS(w http.ResponseWriter, r *http.Request) {
	if !a.originAllowed(r) {
		writeError(w, http.StatusForbidden, "ERR origin not allowed")
		return
	}
	key, err := bearer(r)
	if err != nil {
		writeAuthError(w, err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ws := &wsConn{a: a, ctx: ctx, cancel: cancel, out: make(chan []byte, a.opts.WSSendQueue),
		enc: encoder{b64: wantsBase64(r) || strings.EqualFold(r.URL.Query().Get("encoding"), "base64")}}
	var release func()
	// With a header (or nothing to check) the key is checked before the
	// upgrade, so a refusal is an HTTP status a client library can see.
	cfg := a.srv.Config()
	needAuth := cfg.ClusterMode || cfg.RequirePass != ""
	if key != "" || !needAuth {
		c, err := a.open(r.Context(), cancel, r, tenant.SurfaceWebSocket, key, nil)
		if err != nil {
			writeAuthError(w, err)
			return
		}
		defer c.Close()
		var ok bool
		if release, ok = a.acquireStream(c); !ok {
			writeError(w, http.StatusTooManyRequests, errTooManyStreams(a.opts.MaxStreamsPerTenant))
			return
		}
		defer release()
		ws.c = c
		ws.maxQueued = a.sendQueueBytes(c)
	}
	pending := false
	if ws.c == nil {
		// Sockets waiting for their auth frame are capped like RESP
		// connections waiting to AUTH: once upgraded they leave the
		// HTTP connection count, and each may wait WSAuthTimeout.
		if n := a.pendingAuth.Add(1); n > int64(a.maxPendingAuth()) {
			a.pendingAuth.Add(-1)
			writeError(w, http.StatusServiceUnavailable, "ERR max number of unauthenticated clients reached")
			return
		}
		pending = true
		defer func() {
			if pending { // the frame never came
				a.pendingAuth.Add(-1)
			}
		}()
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// Origin was checked above against the allow-list.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return
	}
	ws.conn = conn
	conn.SetReadLimit(a.opts.WSMaxMessage)
	defer conn.CloseNow()
	if ws.c == nil {
		c, code, msg := ws.frameAuth(r)
		if c != nil {
			pending = false
			a.pendingAuth.Add(-1)
		}
		if c == nil {
			if code != 0 {
				_ = conn.Close(code, clipReason(msg))
			}
			return
		}
		defer c.Close()
		var ok bool
		if release, ok = a.acquireStream(c); !ok {
			_ = conn.Close(websocket.StatusTryAgainLater, clipReason(errTooManyStreams(a.opts.MaxStreamsPerTenant)))
			return
		}
		defer release()
		ws.c = c
		ws.maxQueued = a.sendQueueBytes(c)
		ws.send([]byte(`{"auth":"ok"}`))
	}
	ws.run()
}

// clipReason fits a close reason in a control frame (123 bytes).
func clipReason(s string) string {
	if len(s) > 120 {
		return s[:120]
	}
	return s
}

// frameAuth waits WSAuthTimeout for {"auth": key} and opens the session.
func (ws *wsConn) frameAuth(r *http.Request) (*commands.Session, websocket.StatusCode, string) {
	// Not a Read deadline: coder/websocket drops the socket when a Read's
	// context ends, and the client would not learn why.
	timer := time.AfterFunc(ws.a.opts.WSAuthTimeout, func() {
		_ = ws.conn.Close(websocket.StatusPolicyViolation, "NOAUTH Authentication required.")
	})
	typ, data, err := ws.conn.Read(ws.ctx)
	if !timer.Stop() {
		return nil, 0, "" // closed by the timer
	}
	if err != nil {
		return nil, websocket.StatusPolicyViolation, "NOAUTH Authentication required."
	}
	ctx := ws.ctx
	var f wsFrame
	if typ != websocket.MessageText || json.Unmarshal(data, &f, json.RejectUnknownMembers(true)) != nil || f.Auth == nil {
		return nil, websocket.StatusPolicyViolation, "NOAUTH Authentication required."
	}
	c, err := ws.a.open(ctx, ws.cancel, r, tenant.SurfaceWebSocket, *f.Auth, nil)
	if err != nil {
		return nil, websocket.StatusPolicyViolation, err.Error()
	}
	return c, 0, ""
}

// send queues a frame; a full queue ends the connection (slow reader).
func (ws *wsConn) send(b []byte) bool {
	if n := ws.queued.Add(int64(len(b))); ws.maxQueued > 0 && n > ws.maxQueued {
		ws.cancel()
		return false
	}
	select {
	case ws.out <- b:
		return true
	default:
		ws.cancel()
		return false
	}
}

// run is the session's loop: frames read by a reader goroutine are run in
// order on this goroutine, which also takes the session's pushes (the
// outbox wants them taken by the goroutine that runs its commands).
func (ws *wsConn) run() {
	frames := make(chan []byte, 1)
	readErr := make(chan error, 1)
	go func() {
		for {
			typ, data, err := ws.conn.Read(ws.ctx)
			if err != nil {
				readErr <- err
				return
			}
			if typ != websocket.MessageText {
				data = nil // answered as a bad frame
			}
			select {
			case frames <- data:
				continue
			default:
			}
			// The session is busy (a blocked command): stop reading, so
			// a flood of frames is held by TCP, not by this process.
			// Pongs are not read meanwhile, so the writer does not ping.
			ws.stalled.Store(true)
			select {
			case frames <- data:
				ws.stalled.Store(false)
			case <-ws.ctx.Done():
				return
			}
		}
	}()
	writerDone := make(chan struct{})
	go ws.writer(writerDone)
	defer func() {
		ws.cancel()
		<-writerDone
	}()
	pushBuf := resp.NewWriter()
	for {
		select {
		case <-ws.ctx.Done():
			ws.closeWith(websocket.StatusPolicyViolation, "closed: the client did not read fast enough or the server is closing")
			return
		case <-ws.c.Killed():
			ws.closeWith(websocket.StatusPolicyViolation, "closed by the server (CLIENT KILL, output buffer limit or shutdown)")
			return
		case err := <-readErr:
			var ce websocket.CloseError
			if errors.As(err, &ce) || errors.Is(err, context.Canceled) {
				return
			}
			ws.closeWith(websocket.StatusMessageTooBig, "frame too large or unreadable")
			return
		case <-ws.c.PushReady():
			if !ws.pushes(pushBuf) {
				return
			}
		case data := <-frames:
			// The tenant's bytes a second, shared with its other
			// connections: while this waits, the reader waits to hand
			// over the next frame, and TCP holds the rest.
			if t := ws.c.T; t != nil {
				if d := t.SpendInput(int64(len(data)), time.Now()); d > 0 && tenant.Pause(ws.ctx, d) != nil {
					return
				}
			}
			if !ws.frame(data) {
				return
			}
			if ws.c.ClosingAfterReply() {
				ws.closeWith(websocket.StatusNormalClosure, "QUIT")
				return
			}
		}
	}
}

func (ws *wsConn) closeWith(code websocket.StatusCode, reason string) {
	ws.cancel()
	_ = ws.conn.Close(code, reason)
}

// pushes moves the session's queued pushes into the send queue.
func (ws *wsConn) pushes(w *resp.Writer) bool {
	w.Reset()
	if ws.c.TakePushes(w) == 0 {
		return true
	}
	vals, err := resp.ParseValues(w.Buf)
	ws.c.PushesWritten() // they are in the bounded send queue now
	if err != nil {
		return true
	}
	for _, v := range vals {
		b := []byte(`{"push":`)
		b, err := ws.enc.value(b, v)
		if err != nil {
			b, _ = errorBody(nil, err.Error())
		} else {
			b = append(b, '}')
		}
		if !ws.send(b) {
			return false
		}
	}
	return true
}

// frame runs one client frame and queues its reply.
func (ws *wsConn) frame(data []byte) bool {
	reply := func(id jsontext.Value, body []byte) bool {
		b := make([]byte, 0, len(body)+len(id)+8)
		if len(id) > 0 {
			b = append(b, `{"id":`...)
			b = append(b, id...)
			b = append(b, ',')
			b = append(b, body[1:]...)
		} else {
			b = append(b, body...)
		}
		return ws.send(b)
	}
	var f wsFrame
	if data == nil || json.Unmarshal(data, &f, json.RejectUnknownMembers(true)) != nil {
		b, _ := errorBody(nil, errWSFrame)
		return reply(nil, b)
	}
	if len(f.ID) > 0 {
		if k := f.ID.Kind(); (k != '"' && k != '0') || len(f.ID) > 128 {
			b, _ := errorBody(nil, errWSID)
			return reply(nil, b)
		}
	}
	if f.Auth != nil {
		b, _ := errorBody(nil, errWSAuthLate)
		return reply(f.ID, b)
	}
	if len(f.Cmd) == 0 {
		b, _ := errorBody(nil, errWSFrame)
		return reply(f.ID, b)
	}
	args, err := parseOne(f.Cmd)
	if err != nil {
		b, _ := errorBody(nil, err.Error())
		return reply(f.ID, b)
	}
	// A blocked command waits here: frames sent meanwhile wait in the
	// reader, as pipelined commands wait behind a blocked RESP client.
	v, err := ws.a.call(ws.ctx, ws.c, args)
	if err != nil {
		return false
	}
	if v.Kind == 0 && len(v.Elems) == 0 && !v.Null { // CLIENT REPLY OFF
		return true
	}
	b, _, err := ws.enc.result(nil, v)
	if err != nil {
		b, _ = errorBody(nil, err.Error())
	}
	return reply(f.ID, b)
}

// writer writes queued frames, each within WriteTimeout, and pings an
// idle connection; a failed write or an unanswered ping ends it.
func (ws *wsConn) writer(done chan struct{}) {
	defer close(done)
	ping := time.NewTicker(ws.a.opts.WSPingInterval)
	defer ping.Stop()
	for {
		select {
		case <-ws.ctx.Done():
			// Drain what is already queued (the last replies, the close
			// reason follows from run) without waiting on a dead reader.
			for {
				select {
				case b := <-ws.out:
					ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
					err := ws.conn.Write(ctx, websocket.MessageText, b)
					cancel()
					if err != nil {
						return
					}
				default:
					return
				}
			}
		case b := <-ws.out:
			ctx, cancel := context.WithTimeout(ws.ctx, ws.a.opts.WriteTimeout)
			err := ws.conn.Write(ctx, websocket.MessageText, b)
			cancel()
			ws.queued.Add(-int64(len(b)))
			if err != nil {
				ws.cancel()
				return
			}
		case <-ping.C:
			if ws.stalled.Load() {
				continue
			}
			ctx, cancel := context.WithTimeout(ws.ctx, ws.a.opts.WriteTimeout)
			err := ws.conn.Ping(ctx)
			cancel()
			if err != nil {
				ws.cancel()
				return
			}
		}
	}
}

// sendQueueBytes bounds a WebSocket's queued frames in bytes: a tenant's
// by tenant-output-buffer-limit, others by the pubsub class's hard limit
// (0: by the frame count alone), as a RESP client's pushes are.
func (a *API) sendQueueBytes(c *commands.Session) int64 {
	cfg := a.srv.Config()
	if c.T != nil && cfg.TenantOutputBufferLimit > 0 {
		return cfg.TenantOutputBufferLimit
	}
	return cfg.OutputBufferLimits.PubSub.Hard
}

// maxPendingAuth is how many WebSockets may wait for their auth frame at
// once: unauthenticated-client-limit, or half of maxclients, as for RESP.
func (a *API) maxPendingAuth() int {
	cfg := a.srv.Config()
	if cfg.MaxUnauthClients > 0 {
		return cfg.MaxUnauthClients
	}
	return max(1, cfg.MaxClients/2)
}
