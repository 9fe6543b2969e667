package resp

import (
	"strconv"
	"strings"
)

// Redis's error texts, byte for byte, without the leading '-'.
const (
	ErrNoAuth           = "NOAUTH Authentication required."
	ErrWrongPass        = "WRONGPASS invalid username-password pair or user is disabled."
	ErrWrongType        = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrSyntax           = "ERR syntax error"
	ErrNotInteger       = "ERR value is not an integer or out of range"
	ErrNotFloat         = "ERR value is not a valid float"
	ErrOverflow         = "ERR increment or decrement would overflow"
	ErrNoSuchKey        = "ERR no such key"
	ErrDBIndex          = "ERR DB index is out of range"
	ErrInvalidExpire    = "ERR invalid expire time in '%s' command"
	ErrNotOnlyOneExpire = "ERR NX and XX, GT or LT options at the same time are not compatible"
	ErrSameObject       = "ERR source and destination objects are the same"
	ErrInvalidDB        = "ERR invalid DB index"

	protoPrefix          = "ERR Protocol error: "
	ProtoTooBigInline    = protoPrefix + "too big inline request"
	ProtoUnbalancedQuote = protoPrefix + "unbalanced quotes in request"
	ProtoTooBigMbulk     = protoPrefix + "too big mbulk count string"
	ProtoInvalidMbulk    = protoPrefix + "invalid multibulk length"
	ProtoUnauthMbulk     = protoPrefix + "unauthenticated multibulk length"
	ProtoTooBigBulk      = protoPrefix + "too big bulk count string"
	ProtoInvalidBulk     = protoPrefix + "invalid bulk length"
	ProtoUnauthBulk      = protoPrefix + "unauthenticated bulk length"

	// ErrPayloadTooBig closes a tenant's connection that announced a
	// command far over its payload limit (Limits.PayloadLimit).
	ErrPayloadTooBig = "QUOTA payload of at least %d bytes exceeds the limit of %d bytes"
)

// ProtocolError is a malformed or oversized request. The connection that
// sent it is answered with Msg and closed; nothing of it is executed.
type ProtocolError struct {
	Msg string
	// Unread is how many bytes the refused frame still announces beyond
	// what has been read (0 when unknown or none): a server deciding
	// whether to drain the rest before closing needs it.
	Unread int64
}

func (e *ProtocolError) Error() string { return e.Msg }

// ProtoExpectedDollar is Redis's text for a multibulk element that is not a bulk.
func ProtoExpectedDollar(got byte) string {
	return protoPrefix + "expected '$', got '" + string([]byte{got}) + "'"
}

// payloadParts is ErrPayloadTooBig around its two numbers.
var payloadParts = strings.Split(ErrPayloadTooBig, "%d")

// payloadTooBig is ErrPayloadTooBig's text, formatted in one allocation:
// a refusal that closes the connection is all some attackers get, over
// and over.
func payloadTooBig(n, limit int64) string {
	var b [128]byte
	m := append(b[:0], payloadParts[0]...)
	m = strconv.AppendInt(m, n, 10)
	m = append(m, payloadParts[1]...)
	m = strconv.AppendInt(m, limit, 10)
	return string(append(m, payloadParts[2]...))
}
