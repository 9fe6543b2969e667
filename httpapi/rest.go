package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"synap/commands"
	"synap/resp"
	"synap/sched"
	"synap/tenant"
)

// wantsBase64 reports Upstash's request for base64 strings in replies.
func wantsBase64(r *http.Request) bool {
	return strings.EqualFold(strings.TrimSpace(r.Header.Get("Upstash-Encoding")), "base64")
}

// sessionWithBody opens the request's REST session and reads its body
// (after authentication, within the tenant's bounds); on failure it has
// replied. done ends the session and its context.
func (a *API) sessionWithBody(w http.ResponseWriter, r *http.Request) (c *commands.Session, ctx context.Context, body []byte, done func(), ok bool) {
	c, ctx, cancel, ok := a.session(w, r, tenant.SurfaceREST)
	if !ok {
		return nil, nil, nil, nil, false
	}
	body, status, msg := a.readBody(w, r, c)
	if msg != "" {
		cancel()
		c.Close()
		writeError(w, status, msg)
		return nil, nil, nil, nil, false
	}
	return c, ctx, body, func() { c.Close(); cancel() }, true
}

// serveJSONCommand is POST / with a JSON array command.
func (a *API) serveJSONCommand(w http.ResponseWriter, r *http.Request) {
	c, ctx, body, done, ok := a.sessionWithBody(w, r)
	if !ok {
		return
	}
	defer done()
	args, err := parseOne(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	a.runOne(ctx, w, r, c, args)
}

// servePathCommand is GET|POST /{command}/{arg}/...: each segment is
// percent-decoded on its own, so %2F is a slash inside an argument; query
// parameters follow as arguments (?EX=10 adds EX 10), then a POST body.
func (a *API) servePathCommand(w http.ResponseWriter, r *http.Request, segs []string) {
	c, ctx, cancel, ok := a.session(w, r, tenant.SurfaceREST)
	if !ok {
		return
	}
	defer cancel()
	defer c.Close()
	if len(segs) > 1 && segs[len(segs)-1] == "" {
		segs = segs[:len(segs)-1] // a trailing slash
	}
	args := make([][]byte, 0, len(segs)+1)
	for _, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			writeError(w, http.StatusBadRequest, "ERR bad percent-encoding in the request path")
			return
		}
		args = append(args, []byte(u))
	}
	if q := r.URL.RawQuery; q != "" {
		for _, kv := range strings.Split(q, "&") {
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, "=")
			ku, err1 := url.QueryUnescape(k)
			vu, err2 := url.QueryUnescape(v)
			if err1 != nil || err2 != nil {
				writeError(w, http.StatusBadRequest, "ERR bad percent-encoding in the query string")
				return
			}
			args = append(args, []byte(ku))
			if vu != "" {
				args = append(args, []byte(vu))
			}
		}
	}
	if r.Method == http.MethodPost {
		body, status, msg := a.readBody(w, r, c)
		if msg != "" {
			writeError(w, status, msg)
			return
		}
		if len(body) > 0 {
			args = append(args, body)
		}
	}
	a.runOne(ctx, w, r, c, args)
}

// errEnded answers a command whose request ended while it waited.
const errEnded = "ERR the request ended before the command completed"

func (a *API) runOne(ctx context.Context, w http.ResponseWriter, r *http.Request, c *commands.Session, args [][]byte) {
	v, err := a.call(ctx, c, args)
	rateHeaders(w, c)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, errEnded)
		return
	}
	if !v.Null && (v.Kind == resp.KindError || v.Kind == resp.KindBulkError) {
		msg := string(v.Str)
		status := statusOf(msg)
		writeErrorHeaders(w, status, msg)
		writeError(w, status, msg)
		return
	}
	body, _, err := encoder{b64: wantsBase64(r)}.result(nil, v)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, append(body, '\n'))
}

// flushEvery is how much of a pipeline's reply is gathered before it is
// written: the reply is streamed, so a pipeline of many large replies
// holds one reply in memory, not all of them.
const flushEvery = 64 << 10

// servePipeline is POST /pipeline (each command on its own, one result or
// error each) and POST /multi-exec (the commands in MULTI ... EXEC, so
// atomic; a command refused while queuing aborts all of them, as EXEC
// answers EXECABORT).
// pipelineYield is how many commands of a /pipeline or /multi-exec body are
// parsed, queued or run between two chances to yield (sched.Maybe), as a
// RESP pipeline has one every 64 commands: a body of the 8 MB
// http-max-body holds tens of thousands of them, one stretch on the
// processor unless a write of the response waits for the client.
const pipelineYield = 16

func (a *API) servePipeline(w http.ResponseWriter, r *http.Request, atomic bool) {
	c, ctx, body, done, ok := a.sessionWithBody(w, r)
	if !ok {
		return
	}
	defer done()
	cmds, err := parseMany(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	enc := encoder{b64: wantsBase64(r)}
	if atomic {
		a.multiExec(ctx, w, c, enc, cmds)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	rc := http.NewResponseController(w)
	out := []byte{'['}
	headers := false
	flush := func() bool {
		if !headers {
			rateHeaders(w, c)
			w.WriteHeader(http.StatusOK)
			headers = true
		}
		_ = rc.SetWriteDeadline(time.Now().Add(a.opts.WriteTimeout))
		_, err := w.Write(out)
		out = out[:0]
		return err == nil
	}
	for i, args := range cmds {
		if ctx.Err() != nil {
			return // the client is gone: the rest of its commands do not run
		}
		if i > 0 {
			out = append(out, ',')
		}
		if i%pipelineYield == pipelineYield-1 {
			sched.Maybe()
		}
		v, err := a.call(ctx, c, args)
		if err != nil {
			out, _ = errorBody(out, errEnded)
		} else {
			var e error
			start := len(out)
			if out, _, e = enc.result(out, v); e != nil {
				out, _ = errorBody(out[:start], e.Error())
			}
		}
		if len(out) >= flushEvery && !flush() {
			return // the client is gone; its commands stop here
		}
	}
	out = append(out, ']', '\n')
	flush()
}

func (a *API) multiExec(ctx context.Context, w http.ResponseWriter, c *commands.Session, enc encoder, cmds [][][]byte) {
	fail := func(msg string) {
		rateHeaders(w, c)
		status := statusOf(msg)
		writeErrorHeaders(w, status, msg)
		writeError(w, status, msg)
	}
	v, err := a.srv.Call(ctx, c, []byte("MULTI"))
	if err != nil {
		fail(errEnded)
		return
	}
	if v.Kind == resp.KindError {
		fail(string(v.Str))
		return
	}
	// A refusal while queuing (unknown command, arity, NOPERM, limits)
	// dooms the transaction; its text is more useful than EXECABORT's.
	var first string
	for i, args := range cmds {
		if i%pipelineYield == pipelineYield-1 {
			sched.Maybe() // queueing; EXEC then runs them holding its locks, as on RESP
		}
		v, err := a.call(ctx, c, args)
		if err != nil {
			fail(errEnded)
			return
		}
		if v.Kind == resp.KindError && first == "" {
			first = string(v.Str)
		}
	}
	v, err = a.srv.Call(ctx, c, []byte("EXEC"))
	if err != nil {
		fail(errEnded)
		return
	}
	if v.Kind == resp.KindError {
		msg := string(v.Str)
		status := statusOf(msg)
		if first != "" && strings.HasPrefix(msg, "EXECABORT") {
			// EXECABORT's text is Redis's; the status says why (403 for
			// a queued command the key may not run, 429 for a limit).
			status = statusOf(first)
		}
		rateHeaders(w, c)
		writeErrorHeaders(w, status, first)
		writeError(w, status, msg)
		return
	}
	if v.Null { // a WATCH cannot be set here; kept for a faithful reply
		rateHeaders(w, c)
		writeJSON(w, http.StatusOK, []byte("{\"result\":null}\n"))
		return
	}
	out := []byte{'['}
	for i, el := range v.Elems {
		if i > 0 {
			out = append(out, ',')
		}
		start := len(out)
		var e error
		if out, _, e = enc.result(out, el); e != nil {
			out, _ = errorBody(out[:start], e.Error())
		}
	}
	out = append(out, ']', '\n')
	rateHeaders(w, c)
	writeJSON(w, http.StatusOK, out)
}
