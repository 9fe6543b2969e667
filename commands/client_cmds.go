package commands

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"synap/resp"
	"synap/tenant"
)

// The CLIENT family: the caller's own connection state, and the list of all
// connections for the operator.

func init() {
	const connFlags = FlagNoScript | FlagLoading | FlagStale
	conn := func(name string, arity int, since, summary, complexity string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: connFlags, ACL: []string{"slow", "connection"},
			Group: "connection", Since: since, Summary: summary, Complexity: complexity, Run: run}
	}
	admin := func(c *Command) *Command {
		c.Flags |= FlagAdmin
		c.ACL = []string{"admin", "slow", "dangerous", "connection"}
		return c
	}
	need := func(c *Command, n tenant.Need) *Command {
		c.Need = n
		return c
	}
	help := conn("help", 2, "5.0.0", "Lists the CLIENT subcommands and what they do.", "O(1)", cmdClientHelp)
	help.Flags = FlagLoading | FlagStale
	register(&Command{Name: "client", Arity: -2, ACL: []string{"slow"}, Group: "connection", Since: "2.4.0",
		Summary: "Groups the commands that inspect and change client connections.", Complexity: "Depends on subcommand.",
		Subs: []*Command{
			conn("id", 2, "5.0.0", "Returns the unique id of the connection.", "O(1)", cmdClientID),
			conn("setname", 3, "2.6.9", "Names the connection, or clears its name.", "O(1)", cmdClientSetName),
			conn("getname", 2, "2.6.9", "Returns the connection's name.", "O(1)", cmdClientGetName),
			// A tenant lists and kills only its own connections, so these
			// need the tenant's read and admin permission, not the operator.
			need(admin(conn("list", -2, "2.4.0", "Describes every client connection, one line each.",
				"O(N) where N is the number of client connections", cmdClientList)), tenant.NeedRead),
			conn("info", 2, "6.2.0", "Describes the calling connection in CLIENT LIST's format.", "O(1)", cmdClientInfo),
			need(admin(conn("kill", -3, "2.4.0", "Closes the connections that match an address or a set of filters.",
				"O(N) where N is the number of client connections", cmdClientKill)), tenant.NeedAdmin),
			// A tenant unblocks only its own connections (clientsLive).
			need(admin(conn("unblock", -3, "5.0.0", "Unblocks a client blocked by a blocking command from a different connection.",
				"O(log N) where N is the number of client connections", cmdClientUnblock)), tenant.NeedAdmin),
			// In cluster mode a tenant pauses only its own connections.
			need(admin(conn("pause", -3, "3.0.0", "Suspends commands processing.", "O(1)", cmdClientPause)), tenant.NeedAdmin),
			need(admin(conn("unpause", 2, "6.2.0", "Resumes processing commands from paused clients.", "O(N) Where N is the number of paused clients", cmdClientUnpause)), tenant.NeedAdmin),
			conn("setinfo", 4, "7.2.0", "Records the name or version of the client library in use.", "O(1)", cmdClientSetInfo),
			need(admin(conn("no-evict", 3, "7.0.0", "Exempts the connection from client eviction, or stops exempting it.",
				"O(1)", cmdClientNoEvict)), tenant.NeedNone),
			conn("no-touch", 3, "7.2.0", "Stops the connection's reads from updating keys' access times, or resumes it.",
				"O(1)", cmdClientNoTouch),
			// Tracking tells what changes in the tenant's keyspace: a key
			// that may not read must not hear of it.
			need(conn("tracking", -3, "6.0.0", "Controls server-assisted client-side caching for the connection.",
				"O(1). Some options may introduce additional complexity.", cmdClientTracking), tenant.NeedRead),
			conn("caching", 3, "6.0.0", "Instructs the server whether to track the keys in the next request.", "O(1)", cmdClientCaching),
			conn("getredir", 2, "6.0.0", "Returns the client ID to which the connection's tracking notifications are redirected.",
				"O(1)", cmdClientGetRedir),
			conn("trackinginfo", 2, "6.2.0", "Returns information about server-assisted client-side caching for the connection.",
				"O(1)", cmdClientTrackingInfo),
			conn("reply", 3, "3.2.0", "Turns the server's replies to this connection on or off, or skips the next one.",
				"O(1)", cmdClientReply),
			help,
		}})
}

func cmdClientID(x *Ctx) { x.W.Int(x.C.ShownID(x.C)) }

func cmdClientSetName(x *Ctx) {
	name := x.Args[2]
	if !validClientName(name) {
		x.Error(ErrClientName)
		return
	}
	x.C.SetName(string(name))
	x.W.OK()
}

func cmdClientGetName(x *Ctx) {
	if name := x.C.Name(); name != "" {
		x.W.BulkString(name)
		return
	}
	x.W.Null()
}

func cmdClientInfo(x *Ctx) {
	var b strings.Builder
	clientWriteLine(&b, x, x.C, time.Now())
	x.W.Verbatim(b.String())
}

// clientListArgs is CLIENT LIST's optional TYPE or ID clause.
type clientListArgs struct {
	typ string  // "" for any
	ids []int64 // nil for all; listed in this order when set
}

func parseClientList(x *Ctx) (clientListArgs, bool) {
	var a clientListArgs
	args := x.Args[2:]
	switch {
	case len(args) == 0:
	case len(args) == 2 && Lower(args[0]) == "type":
		typ, ok := clientTypeByName(args[1])
		if !ok {
			x.Error(sanitize(Errorf(errClientUnknownType, args[1])))
			return a, false
		}
		a.typ = typ
	case len(args) > 1 && Lower(args[0]) == "id":
		for _, arg := range args[1:] {
			id, ok := ParseInt(arg)
			if !ok {
				x.Error(errClientInvalidID)
				return a, false
			}
			a.ids = append(a.ids, x.C.internalID(id))
		}
	default:
		x.SyntaxError()
		return a, false
	}
	return a, true
}

func cmdClientList(x *Ctx) {
	a, ok := parseClientList(x)
	if !ok {
		return
	}
	clients := clientsLive(x)
	if a.ids != nil {
		byID := make(map[int64]*Client, len(clients))
		for _, c := range clients {
			byID[c.ID] = c
		}
		clients = clients[:0]
		for _, id := range a.ids {
			if c := byID[id]; c != nil {
				clients = append(clients, c)
			}
		}
	}
	var b strings.Builder
	now := time.Now()
	for _, c := range clients {
		if a.typ == "" || a.typ == clientType(c) {
			clientWriteLine(&b, x, c, now)
		}
	}
	x.W.Verbatim(b.String())
}

// clientsLive are the connected clients in id order, without those already
// killed whose goroutine has not yet removed them.
// clientsLive lists the connections x's caller may see: all of them for the
// operator and in standalone mode, a tenant's own otherwise.
func clientsLive(x *Ctx) []*Client {
	all := x.S.Clients()
	live := all[:0]
	for _, c := range all {
		if !c.killed.Load() && x.C.Sees(c) {
			live = append(live, c)
		}
	}
	slices.SortFunc(live, func(a, b *Client) int { return cmp.Compare(a.ID, b.ID) })
	return live
}

// clientTypeByName maps the type names Redis accepts to the canonical one.
func clientTypeByName(b []byte) (string, bool) {
	switch t := Lower(b); t {
	case "normal", "master", "pubsub":
		return t, true
	case "replica", "slave":
		return "replica", true
	}
	return "", false
}

// clientType is the Redis client class of c. Synap has no replicas or
// masters, and no subscriber state on Client yet, so every client is normal.
func clientType(*Client) string { return "normal" }

// clientWriteLine appends c's CLIENT LIST line. The caller's own connection
// shows live figures; other connections only what is safe to read from
// another goroutine.
func clientWriteLine(b *strings.Builder, x *Ctx, c *Client, now time.Time) {
	self := c == x.C
	c.mu.Lock()
	name, libName, libVer, cmd := c.name, c.libName, c.libVer, c.lastCmd
	db, proto, noEvict, noTouch := c.DB, c.W.Proto, c.NoEvict, c.NoTouch
	c.mu.Unlock()
	var qbuf, argvMem, rbs, rbp int
	if self {
		cmd = x.Cmd.Name
		qbuf = c.QueryBuf()
		for _, a := range x.Args {
			argvMem += len(a)
		}
		rbs, rbp = cap(c.W.Buf), len(c.W.Buf)
	}
	if cmd == "" {
		cmd = "NULL"
	}
	flags := make([]byte, 0, 4)
	sub, psub, ssub := c.subCounts()
	if sub+psub+ssub > 0 {
		flags = append(flags, 'P')
	}
	queued := c.multiLen.Load() - 1 // -1: not in MULTI
	if queued >= 0 {
		flags = append(flags, 'x')
	}
	if c.parked.Load() != nil {
		flags = append(flags, 'b')
	}
	flags = append(flags, trackingFlags(c)...)
	if c.monitoring.Load() {
		flags = append(flags, 'O')
	}
	if c.watchDirty.Load() {
		flags = append(flags, 'd')
	}
	if c.closeAfterReply.Load() {
		flags = append(flags, 'c')
	}
	if noEvict {
		flags = append(flags, 'e')
	}
	if noTouch {
		flags = append(flags, 'T')
	}
	if len(flags) == 0 {
		flags = append(flags, 'N')
	}
	first := true
	field := func(k, v string) {
		if !first {
			b.WriteByte(' ')
		}
		first = false
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	num := func(k string, v int64) { field(k, strconv.FormatInt(v, 10)) }
	num("id", x.C.ShownID(c))
	field("addr", c.Addr)
	field("laddr", c.LAddr)
	// Descriptor numbers are shared by every connection of the process, so
	// a tenant would see other tenants' connections come and go in them.
	if x.C.hidesServer() {
		num("fd", -1)
	} else {
		num("fd", clientFD(c))
	}
	field("name", name)
	num("age", int64(now.Sub(c.Created)/time.Second))
	num("idle", int64(c.Idle()/time.Second))
	field("flags", string(flags))
	num("db", int64(db))
	num("sub", sub)
	num("psub", psub)
	num("ssub", ssub)
	num("multi", queued)
	num("qbuf", int64(qbuf))
	num("qbuf-free", 0)
	num("argv-mem", int64(argvMem))
	num("multi-mem", 0)
	num("rbs", int64(rbs))
	num("rbp", int64(rbp))
	num("obl", 0)
	num("oll", 0)
	num("omem", 0)
	num("tot-mem", int64(qbuf+argvMem+rbs))
	field("events", "r")
	field("cmd", cmd)
	field("user", "default")
	num("redir", -1)
	num("resp", int64(proto))
	field("lib-name", libName)
	field("lib-ver", libVer)
	b.WriteByte('\n')
}

// clientFD is the session's socket descriptor, -1 when it has none.
func clientFD(c *Client) int64 { return c.tr.FD() }

// clientKillArgs are CLIENT KILL's filters; a zero field matches any client.
type clientKillArgs struct {
	oldForm     bool // CLIENT KILL addr:port: replies OK or an error, may kill the caller
	addr, laddr *string
	id          int64
	typ         string
	maxAge      int64
	skipMe      bool
}

func parseClientKill(x *Ctx) (clientKillArgs, bool) {
	a := clientKillArgs{skipMe: true}
	args := x.Args[2:]
	if len(args) == 1 {
		addr := string(args[0])
		a.oldForm, a.addr, a.skipMe = true, &addr, false
		return a, true
	}
	for i := 0; i < len(args); i += 2 {
		if i+1 >= len(args) {
			x.SyntaxError()
			return a, false
		}
		v := args[i+1]
		switch Lower(args[i]) {
		case "id":
			id, ok := ParseInt(v)
			if !ok || id < 1 {
				x.Error(errClientKillID)
				return a, false
			}
			a.id = x.C.internalID(id)
		case "type":
			typ, ok := clientTypeByName(v)
			if !ok {
				x.Error(sanitize(Errorf(errClientUnknownType, v)))
				return a, false
			}
			a.typ = typ
		case "addr":
			addr := string(v)
			a.addr = &addr
		case "laddr":
			addr := string(v)
			a.laddr = &addr
		case "user":
			if string(v) != "default" { // the only user there is
				x.Error(sanitize(Errorf(errClientNoUser, v)))
				return a, false
			}
		case "skipme":
			switch Lower(v) {
			case "yes":
				a.skipMe = true
			case "no":
				a.skipMe = false
			default:
				x.SyntaxError()
				return a, false
			}
		case "maxage":
			age, ok := ParseInt(v)
			if !ok {
				x.Error(errClientMaxAge)
				return a, false
			}
			a.maxAge = age
		default:
			x.SyntaxError()
			return a, false
		}
	}
	return a, true
}

func (a clientKillArgs) match(x *Ctx, c *Client, now time.Time) bool {
	switch {
	case a.addr != nil && c.Addr != *a.addr,
		a.laddr != nil && c.LAddr != *a.laddr,
		a.typ != "" && a.typ != clientType(c),
		a.id != 0 && c.ID != a.id,
		a.maxAge > 0 && int64(now.Sub(c.Created)/time.Second) < a.maxAge,
		a.skipMe && c == x.C:
		return false
	}
	return true
}

func cmdClientKill(x *Ctx) {
	a, ok := parseClientKill(x)
	if !ok {
		return
	}
	killed := 0
	now := time.Now()
	for _, c := range clientsLive(x) {
		if !a.match(x, c, now) {
			continue
		}
		killed++
		if c == x.C {
			c.CloseAfterReply() // the caller still gets its reply, as in Redis
		} else {
			c.Kill()
		}
	}
	switch {
	case !a.oldForm:
		x.W.Int(int64(killed))
	case killed == 0:
		x.Error(errClientNoSuch)
	default:
		x.W.OK()
	}
}

func cmdClientSetInfo(x *Ctx) {
	attr, val := x.Args[2], string(x.Args[3])
	var name, ver *string
	switch Lower(attr) {
	case "lib-name":
		name = &val
	case "lib-ver":
		ver = &val
	default:
		x.Error(sanitize(Errorf(errClientSetinfoOpt, attr)))
		return
	}
	if !validClientName(x.Args[3]) {
		x.Error(sanitize(Errorf(errClientSetinfoVal, attr)))
		return
	}
	x.C.SetLib(name, ver)
	x.W.OK()
}

// clientOnOff parses the ON|OFF argument of NO-EVICT and NO-TOUCH.
func clientOnOff(x *Ctx) (on, ok bool) {
	switch Lower(x.Args[2]) {
	case "on":
		return true, true
	case "off":
		return false, true
	}
	x.SyntaxError()
	return false, false
}

func cmdClientNoEvict(x *Ctx) { clientSetFlag(x, x.C.SetNoEvict) }

func cmdClientNoTouch(x *Ctx) { clientSetFlag(x, x.C.SetNoTouch) }

func clientSetFlag(x *Ctx, set func(bool)) {
	if on, ok := clientOnOff(x); ok {
		set(on)
		x.W.OK()
	}
}

// cmdClientReply sets the reply mode; the dispatcher drops the replies. OFF
// and SKIP are not answered themselves.
func cmdClientReply(x *Ctx) {
	c := x.C
	switch Lower(x.Args[2]) {
	case "on":
		c.ReplyMode, c.skipNext = ReplyOn, false
		x.W.OK()
	case "off":
		c.ReplyMode = ReplyOff
	case "skip":
		if c.ReplyMode != ReplyOff {
			// A fresh skip: the dispatcher arms it for the next command
			// even when a previous SKIP was pending.
			c.ReplyMode, c.skipNext = ReplySkip, false
		}
	default:
		x.SyntaxError()
	}
}

// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another connection's blocked
// command with its timeout's reply, or with the UNBLOCKED error. 1 when
// it was blocked, 0 otherwise (no such client, or one not blocked).
func cmdClientUnblock(x *Ctx) {
	if len(x.Args) > 4 {
		x.Error(fmt.Sprintf(errStreamSubSyntax, x.Args[1], "CLIENT"))
		return
	}
	id, ok := ParseInt(x.Args[2])
	if !ok {
		x.Error(resp.ErrNotInteger)
		return
	}
	asError := false
	if len(x.Args) == 4 {
		switch {
		case strEq(x.Args[3], "timeout"):
		case strEq(x.Args[3], "error"):
			asError = true
		default:
			x.Error(errClientUnblockReason)
			return
		}
	}
	// The ids a tenant sends are its own (internalID), and it sees only
	// its own connections (Sees): another tenant's are never found.
	if id >= 1 {
		c, ok := x.S.clients.Load(x.C.internalID(id))
		if ok && c != x.C && !c.killed.Load() && x.C.Sees(c) {
			if w := c.parked.Load(); w != nil && x.S.unblockWaiter(w, asError) {
				x.W.Int(1)
				return
			}
		}
	}
	x.W.Int(0)
}

func cmdClientHelp(x *Ctx) {
	writeHelp(x,
		"CACHING (YES|NO)",
		"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
		"GETREDIR",
		"    Return the client ID we are redirecting to when tracking is enabled.",
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Kill connections by type.",
		"    * USER <username>",
		"      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)",
		"      Skip killing current connection (default: yes).",
		"    * ID <client-id>",
		"      Kill connections by client id.",
		"    * MAXAGE <maxage>",
		"      Kill connections older than the specified age.",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"UNPAUSE",
		"    Stop the current client pause, resuming traffic.",
		"PAUSE <timeout> [WRITE|ALL]",
		"    Suspend all, or just write, clients for <timeout> milliseconds.",
		"REPLY (ON|OFF|SKIP)",
		"    Control the replies sent to the current connection.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"UNBLOCK <clientid> [TIMEOUT|ERROR]",
		"    Unblock the specified blocked client.",
		"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
		"         [OPTIN] [OPTOUT] [NOLOOP]",
		"    Control server assisted client side caching.",
		"TRACKINGINFO",
		"    Report tracking status for the current connection.",
		"SETINFO <option> <value>",
		"    Set client meta attr. Options are:",
		"    * LIB-NAME: the client lib name.",
		"    * LIB-VER: the client lib version.",
		"NO-EVICT (ON|OFF)",
		"    Protect current client connection from eviction.",
		"NO-TOUCH (ON|OFF)",
		"    Will not touch LRU/LFU stats when this mode is on.",
	)
}
