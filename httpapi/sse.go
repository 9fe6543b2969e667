package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"synap/commands"
	"synap/resp"
	"synap/tenant"
)

// subscribe runs SUBSCRIBE channel (or PSUBSCRIBE pattern) on c for an SSE
// stream; tests replace it while the pub/sub hub is not merged.
var subscribe = func(ctx context.Context, srv *commands.Server, c *commands.Session, cmd string, channel []byte) (resp.Value, error) {
	return srv.Call(ctx, c, []byte(cmd), channel)
}

// serveSSE is GET /subscribe/{channel} and GET /psubscribe/{pattern}: the
// session subscribes, then every
// push it receives is an event, in Upstash's form "data: kind,channel,
// payload" (its fields base64 with Upstash-Encoding: base64). The session's
// outbox bounds what waits for a slow reader, as for RESP.
func (a *API) serveSSE(w http.ResponseWriter, r *http.Request, cmd, seg string) {
	if !a.originAllowed(r) {
		writeError(w, http.StatusForbidden, "ERR origin not allowed")
		return
	}
	channel, err := url.PathUnescape(seg)
	if err != nil {
		writeError(w, http.StatusBadRequest, "ERR bad percent-encoding in the request path")
		return
	}
	c, ctx, cancel, ok := a.session(w, r, tenant.SurfaceREST)
	if !ok {
		return
	}
	defer cancel()
	defer c.Close()
	release, ok := a.acquireStream(c)
	if !ok {
		writeError(w, http.StatusTooManyRequests, errTooManyStreams(a.opts.MaxStreamsPerTenant))
		return
	}
	defer release()
	v, err := subscribe(ctx, a.srv, c, cmd, []byte(channel))
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, errEnded)
		return
	}
	if v.Kind == resp.KindError {
		msg := string(v.Str)
		status := statusOf(msg)
		writeErrorHeaders(w, status, msg)
		writeError(w, status, msg)
		return
	}
	b64 := wantsBase64(r)
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(a.opts.WriteTimeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if v.Kind != 0 && !write(sseEvent(nil, v, b64)) {
		return
	}
	keepalive := time.NewTicker(a.opts.WSPingInterval)
	defer keepalive.Stop()
	buf := resp.NewWriter()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.Killed():
			return
		case <-keepalive.C:
			if !write([]byte(": keepalive\n\n")) {
				return
			}
		case <-c.PushReady():
			buf.Reset()
			if c.TakePushes(buf) == 0 {
				continue
			}
			vals, _ := resp.ParseValues(buf.Buf)
			var out []byte
			for _, v := range vals {
				out = sseEvent(out, v, b64)
			}
			ok := write(out)
			c.PushesWritten()
			if !ok {
				return
			}
		}
	}
}

// sseEvent appends one push as an event: its elements joined by commas,
// each line of a multi-line payload its own data line, which SSE joins
// back with "\n".
func sseEvent(dst []byte, v resp.Value, b64 bool) []byte {
	var line []byte
	elems := v.Elems
	if len(elems) == 0 && v.Kind != resp.KindArray && v.Kind != resp.KindPush {
		elems = []resp.Value{v}
	}
	for i, el := range elems {
		if i > 0 {
			line = append(line, ',')
		}
		var s []byte
		switch el.Kind {
		case resp.KindInt:
			s = strconv.AppendInt(nil, el.Int, 10)
		default:
			s = el.Str
		}
		if b64 && el.Kind != resp.KindInt {
			line = base64.StdEncoding.AppendEncode(line, s)
		} else {
			line = append(line, s...)
		}
	}
	for _, l := range bytes.Split(line, []byte{'\n'}) {
		dst = append(dst, "data: "...)
		dst = append(dst, bytes.TrimSuffix(l, []byte{'\r'})...)
		dst = append(dst, '\n')
	}
	return append(dst, '\n')
}
