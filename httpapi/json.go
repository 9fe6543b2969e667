package httpapi

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"synap/commands"
	"synap/resp"
	"synap/sched"
)

// Text of the refusals of malformed requests.
const (
	errBadJSON      = "ERR the body is not valid JSON (strict: UTF-8, no trailing data)"
	errCommandShape = "ERR a command is a JSON array of strings and numbers, the command name first"
	errPipelineForm = "ERR a pipeline is a JSON array of commands, each a JSON array of strings and numbers"
	errBodyTooLarge = "ERR request body too large"
	errNotUTF8      = "ERR reply is not valid UTF-8; send the header Upstash-Encoding: base64 to read binary values"
)

// parseCommand reads one command, a JSON array of strings and numbers.
// Numbers are passed as written (so 9007199254740993 keeps its digits);
// anything else is refused rather than guessed at.
func parseCommand(d *jsontext.Decoder) ([][]byte, error) {
	switch d.PeekKind() {
	case '[':
	case 0:
		return nil, errors.New(errBadJSON)
	default:
		return nil, errors.New(errCommandShape)
	}
	if _, err := d.ReadToken(); err != nil {
		return nil, errors.New(errBadJSON)
	}
	var args [][]byte
	for {
		switch d.PeekKind() {
		case ']':
			if _, err := d.ReadToken(); err != nil {
				return nil, errors.New(errBadJSON)
			}
			if len(args) == 0 {
				return nil, errors.New(errCommandShape)
			}
			return args, nil
		case '"':
			tok, err := d.ReadToken()
			if err != nil {
				return nil, errors.New(errBadJSON)
			}
			args = append(args, []byte(tok.String()))
		case '0':
			v, err := d.ReadValue()
			if err != nil {
				return nil, errors.New(errBadJSON)
			}
			args = append(args, bytes.Clone(v))
		case 0:
			return nil, errors.New(errBadJSON)
		default:
			return nil, errors.New(errCommandShape)
		}
	}
}

// readBody reads r's body within the limit; the error is the reply. It is
// read only once the request is authenticated, so an anonymous client
// cannot make the server hold bodies, and a tenant's body is bounded by
// its plan's payload limit too (with room for the JSON around it).
func (a *API) readBody(w http.ResponseWriter, r *http.Request, c *commands.Session) ([]byte, int, string) {
	limit := a.opts.MaxBodyBytes
	if c.T != nil {
		if p := c.T.Limits().MaxPayloadBytes; p > 0 && p+64<<10 < limit {
			limit = p + 64<<10
		}
	}
	if r.ContentLength > limit {
		// Refused unread: reading up to the limit first made a flood of
		// such bodies cost the limit in garbage each (net/http then
		// closes the connection after the reply, the rest unread).
		return nil, http.StatusRequestEntityTooLarge, errBodyTooLarge
	}
	// Read with chances to yield: an 8 MB body already sent is read in one
	// stretch otherwise (sched.Reader).
	var src io.Reader = sched.Reader(http.MaxBytesReader(w, r.Body, limit))
	if c.T != nil {
		src = c.T.PaceReader(r.Context(), src)
	}
	body, err := io.ReadAll(src)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, http.StatusRequestEntityTooLarge, errBodyTooLarge
		}
		return nil, http.StatusBadRequest, "ERR cannot read the request body"
	}
	return body, 0, ""
}

// decoder is a strict JSON decoder over body: invalid UTF-8 and duplicate
// names are errors, not silently replaced.
func decoder(body []byte) *jsontext.Decoder {
	return jsontext.NewDecoder(bytes.NewReader(body))
}

// parseOne reads a body holding exactly one command.
func parseOne(body []byte) ([][]byte, error) {
	d := decoder(body)
	args, err := parseCommand(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.ReadToken(); err != io.EOF {
		return nil, errors.New(errBadJSON)
	}
	return args, nil
}

// parseMany reads a body holding a JSON array of commands.
func parseMany(body []byte) ([][][]byte, error) {
	d := decoder(body)
	if d.PeekKind() != '[' {
		if d.PeekKind() == 0 {
			return nil, errors.New(errBadJSON)
		}
		return nil, errors.New(errPipelineForm)
	}
	if _, err := d.ReadToken(); err != nil {
		return nil, errors.New(errBadJSON)
	}
	var cmds [][][]byte
	for d.PeekKind() != ']' {
		if d.PeekKind() == 0 {
			return nil, errors.New(errBadJSON)
		}
		args, err := parseCommand(d)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, args)
		if len(cmds)%pipelineYield == 0 {
			sched.Maybe()
		}
	}
	if _, err := d.ReadToken(); err != nil {
		return nil, errors.New(errBadJSON)
	}
	if _, err := d.ReadToken(); err != io.EOF {
		return nil, errors.New(errBadJSON)
	}
	if len(cmds) == 0 {
		return nil, errors.New(errPipelineForm)
	}
	return cmds, nil
}

// encoder turns replies into JSON. With b64 every string is base64, as
// Upstash's "Upstash-Encoding: base64" asks: its clients decode every
// string of a result (only a bare top-level "OK" may stay text), so a
// status such as PONG must be encoded too. Error texts stay text.
type encoder struct {
	b64 bool
}

var errInvalidUTF8 = errors.New(errNotUTF8)

// value appends v as JSON. RESP3 types map to their JSON kin: null, true
// and false, numbers for integers and doubles (inf and nan as the strings
// Redis prints), maps as objects when every key is a string and as arrays
// of [key, value] pairs otherwise, sets and pushes as arrays. An error
// inside an array (EXEC's) becomes {"error": text}.
func (e encoder) value(dst []byte, v resp.Value) ([]byte, error) {
	if v.Null {
		return append(dst, "null"...), nil
	}
	switch v.Kind {
	case resp.KindSimple, resp.KindBulk, resp.KindVerbatim, resp.KindBigNumber:
		return e.str(dst, v.Str)
	case resp.KindInt:
		return strconv.AppendInt(dst, v.Int, 10), nil
	case resp.KindDouble:
		if math.IsInf(v.Float, 0) || math.IsNaN(v.Float) {
			return e.str(dst, v.Str)
		}
		return strconv.AppendFloat(dst, v.Float, 'g', -1, 64), nil
	case resp.KindBool:
		return strconv.AppendBool(dst, v.Bool), nil
	case resp.KindError, resp.KindBulkError:
		dst = append(dst, `{"error":`...)
		dst, err := quote(dst, v.Str)
		return append(dst, '}'), err
	case resp.KindMap, resp.KindAttribute:
		return e.mapValue(dst, v.Elems)
	default: // arrays, sets, pushes
		dst = append(dst, '[')
		for i, el := range v.Elems {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = e.value(dst, el); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	}
}

func (e encoder) str(dst []byte, s []byte) ([]byte, error) {
	if !e.b64 {
		return quote(dst, s)
	}
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, s)
	return append(dst, '"'), nil
}

func (e encoder) mapValue(dst []byte, kv []resp.Value) ([]byte, error) {
	stringKeys := true
	for i := 0; i < len(kv); i += 2 {
		switch kv[i].Kind {
		case resp.KindSimple, resp.KindBulk, resp.KindVerbatim:
		default:
			stringKeys = false
		}
	}
	var err error
	if !stringKeys {
		dst = append(dst, '[')
		for i := 0; i+1 < len(kv); i += 2 {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, '[')
			if dst, err = e.value(dst, kv[i]); err != nil {
				return dst, err
			}
			dst = append(dst, ',')
			if dst, err = e.value(dst, kv[i+1]); err != nil {
				return dst, err
			}
			dst = append(dst, ']')
		}
		return append(dst, ']'), nil
	}
	dst = append(dst, '{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			dst = append(dst, ',')
		}
		// Object names are data too: base64 like the values when asked.
		if dst, err = e.value(dst, kv[i]); err != nil {
			return dst, err
		}
		dst = append(dst, ':')
		if dst, err = e.value(dst, kv[i+1]); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// quote appends s as a JSON string. JSON cannot carry bytes that are not
// UTF-8: rather than replace them (and hand back a value that is not the
// stored one) the reply is refused and names the way to read it.
func quote(dst []byte, s []byte) ([]byte, error) {
	if !utf8.Valid(s) {
		return dst, errInvalidUTF8
	}
	out, err := jsontext.AppendQuote(dst, s)
	if err != nil {
		return dst, errInvalidUTF8
	}
	return out, nil
}

// result is {"result": v} or {"error": text} for one reply.
func (e encoder) result(dst []byte, v resp.Value) ([]byte, bool, error) {
	if !v.Null && (v.Kind == resp.KindError || v.Kind == resp.KindBulkError) {
		d, err := errorBody(dst, string(v.Str))
		return d, true, err
	}
	start := len(dst)
	dst = append(dst, `{"result":`...)
	dst, err := e.value(dst, v)
	if err != nil {
		return dst[:start], false, err
	}
	return append(dst, '}'), false, nil
}

func errorBody(dst []byte, msg string) ([]byte, error) {
	dst = append(dst, `{"error":`...)
	dst, err := quote(dst, []byte(msg))
	if err != nil {
		// An error text echoing a binary argument: its bytes are replaced,
		// an error message is not data.
		dst, _ = jsontext.AppendQuote(dst, bytes.ToValidUTF8([]byte(msg), []byte("\uFFFD")))
	}
	return append(dst, '}'), nil
}

// writeError answers {"error": msg} with status.
func writeError(w http.ResponseWriter, status int, msg string) {
	body, _ := errorBody(nil, msg)
	writeJSON(w, status, append(body, '\n'))
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
