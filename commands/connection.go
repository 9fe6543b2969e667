package commands

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strconv"
	"strings"

	"synap/resp"
)

// Version is Synap's own version; RedisVersion is the Redis level it
// reports to clients that branch on it (HELLO, INFO). It is 7.0.15 because
// that is what Synap is measured against: the encodings OBJECT ENCODING
// reports, the DUMP format and every differential test follow Debian's
// redis-server 7.0.15. A few 7.2 additions (CLIENT SETINFO, CLIENT
// NO-TOUCH, ZRANK WITHSCORE) are accepted as extensions; where 7.0 and 7.2
// answer the same command differently, Synap answers as 7.0.
var (
	Version      = "0.1.0-dev"
	RedisVersion = "7.0.15"
)

const connFlags = FlagNoScript | FlagLoading | FlagStale | FlagFast | FlagNoAuth | FlagAllowBusy

func init() {
	register(
		&Command{Name: "ping", Arity: -1, Flags: FlagFast | FlagPubSubContext, ACL: []string{"fast", "connection"},
			Group: "connection", Since: "1.0.0", Summary: "Returns the server's liveliness response.", Run: cmdPing},
		&Command{Name: "echo", Arity: 2, Flags: FlagLoading | FlagStale | FlagFast, ACL: []string{"fast", "connection"},
			Group: "connection", Since: "1.0.0", Summary: "Returns the given string.", Run: cmdEcho},
		&Command{Name: "auth", Arity: -2, Flags: connFlags, ACL: []string{"fast", "connection"},
			Group: "connection", Since: "1.0.0", Summary: "Authenticates the connection.", Run: cmdAuth},
		&Command{Name: "hello", Arity: -1, Flags: connFlags, ACL: []string{"fast", "connection"},
			Group: "connection", Since: "6.0.0", Summary: "Handshakes with the Redis server.", Run: cmdHello},
		&Command{Name: "select", Arity: 2, Flags: FlagLoading | FlagStale | FlagFast, ACL: []string{"fast", "connection"},
			Group: "connection", Since: "1.0.0", Summary: "Changes the selected database.", Run: cmdSelect},
		&Command{Name: "quit", Arity: -1, Flags: connFlags | FlagTxControl | FlagPubSubContext, ACL: []string{"fast", "connection"},
			Group: "connection", Since: "1.0.0", Summary: "Closes the connection.", Run: cmdQuit},
		&Command{Name: "reset", Arity: 1, Flags: connFlags | FlagTxControl | FlagPubSubContext, ACL: []string{"fast", "connection"},
			Group: "connection", Since: "6.2.0", Summary: "Resets the connection.", Run: cmdReset},
	)
}

func cmdPing(x *Ctx) {
	if x.C.W.Proto == 2 && x.C.subscribed() {
		// Subscribed RESP2 clients read every reply as a message array.
		if len(x.Args) > 2 {
			x.ArityError()
			return
		}
		x.W.Array(2)
		x.W.BulkString("pong")
		if len(x.Args) == 2 {
			x.W.Bulk(x.Args[1])
		} else {
			x.W.BulkString("")
		}
		return
	}
	switch len(x.Args) {
	case 1:
		x.W.Simple("PONG")
	case 2:
		x.W.Bulk(x.Args[1])
	default:
		x.ArityError()
	}
}

func cmdEcho(x *Ctx) { x.W.Bulk(x.Args[1]) }

func cmdQuit(x *Ctx) {
	x.W.OK()
	x.C.CloseAfterReply()
}

func cmdSelect(x *Ctx) {
	db, err := strconv.Atoi(string(x.Args[1]))
	if err != nil {
		x.Error(resp.ErrNotInteger)
		return
	}
	if x.S.Config().ClusterMode && db != 0 {
		x.Error(errSelectCluster)
		return
	}
	if db < 0 || db >= len(x.S.DBs) {
		x.Error(resp.ErrDBIndex)
		return
	}
	x.C.Select(db)
	x.W.OK()
}

func cmdReset(x *Ctx) {
	c := x.C
	x.S.endTx(c)
	c.dropSubscriptions()
	x.S.stopMonitor(c)
	x.S.track.off(c)
	c.Select(0)
	c.SetProto(2)
	c.ReplyMode, c.skipNext = ReplyOn, false
	c.SetNoTouch(false)
	c.SetName("")
	switch {
	case x.S.Config().ClusterMode:
		x.S.unbind(c) // as Redis logs out of a password-protected default user
	case x.S.Config().RequirePass != "":
		c.Authed = false
	}
	x.W.Simple("RESET")
}

// authenticate checks a username and password against requirepass and
// binds the client on success. It returns the error text to reply, or "".
func (s *Server) authenticate(c *Client, user, pass []byte) string {
	if s.Config().ClusterMode {
		// The username is informational (go-redis sends "default").
		msg := s.authCluster(c, pass)
		if msg == resp.ErrWrongPass {
			s.authFailed(c)
		}
		return msg
	}
	want := s.Config().RequirePass
	if user != nil && string(user) != "default" {
		return resp.ErrWrongPass
	}
	if want == "" {
		if user == nil {
			return errAuthNoPass
		}
		c.Authed = true // the default user has no password: any password is accepted
		return ""
	}
	// Compare digests so the time taken does not depend on how much of the
	// secret a guess got right, nor on its length.
	a, b := sha256.Sum256(pass), sha256.Sum256([]byte(want))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return resp.ErrWrongPass
	}
	c.Authed = true
	return ""
}

func cmdAuth(x *Ctx) {
	var user, pass []byte
	switch len(x.Args) {
	case 2:
		pass = x.Args[1]
	case 3:
		user, pass = x.Args[1], x.Args[2]
	default:
		x.SyntaxError()
		return
	}
	if msg := x.S.authenticate(x.C, user, pass); msg != "" {
		if !x.S.Config().ClusterMode {
			x.S.Log.Warn("failed AUTH", "addr", x.C.Addr, "id", x.C.ID)
		}
		x.Error(msg)
		return
	}
	x.W.OK()
}

func cmdHello(x *Ctx) {
	proto := x.C.W.Proto
	var user, pass, name []byte
	hasName := false
	args := x.Args[1:]
	if len(args) > 0 {
		v, err := strconv.ParseInt(string(args[0]), 10, 64)
		if err != nil {
			x.Error(errHelloProto)
			return
		}
		if v < 2 || v > 3 {
			x.Error(errNoProto)
			return
		}
		proto = int(v)
		args = args[1:]
	}
	for i := 0; i < len(args); i++ {
		more := len(args) - i - 1
		switch opt := strings.ToLower(string(args[i])); {
		case opt == "auth" && more >= 2:
			user, pass = args[i+1], args[i+2]
			i += 2
		case opt == "setname" && more >= 1:
			name, hasName = args[i+1], true
			i++
		default:
			x.Error(fmt.Sprintf(errHelloOption, clip(args[i], 128)))
			return
		}
	}
	if user != nil {
		if msg := x.S.authenticate(x.C, user, pass); msg != "" {
			if !x.S.Config().ClusterMode {
				x.S.Log.Warn("failed AUTH", "addr", x.C.Addr, "id", x.C.ID)
			}
			x.Error(msg)
			return
		}
	}
	if x.S.authRequired() && !x.C.Authed {
		x.Error(errHelloNoAuth)
		return
	}
	if hasName {
		if !validClientName(name) {
			x.Error(ErrClientName)
			return
		}
		x.C.SetName(string(name))
	}
	x.C.SetProto(proto)
	w := x.W
	w.Map(7)
	w.BulkString("server")
	w.BulkString("redis")
	w.BulkString("version")
	w.BulkString(RedisVersion)
	w.BulkString("proto")
	w.Int(int64(proto))
	w.BulkString("id")
	w.Int(x.C.ShownID(x.C))
	w.BulkString("mode")
	w.BulkString("standalone")
	w.BulkString("role")
	w.BulkString("master")
	w.BulkString("modules")
	w.Array(0)
}

func validClientName(b []byte) bool {
	for _, c := range b {
		if c < '!' || c > '~' {
			return false
		}
	}
	return true
}
