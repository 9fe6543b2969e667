package mcp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"synap/commands"
	"synap/resp"
	"synap/tenant"
)

// Reply is every tool's structured result: the command's reply as JSON.
type Reply struct {
	Result any `json:"result" jsonschema:"the command's reply: strings, integers, numbers, booleans, null, arrays, objects for maps; a string that is not UTF-8 is {\"base64\": ...}"`
}

// tool is one MCP tool: the command it runs, with the arguments of its
// plainest call (sample), from which the permission it needs is read off
// the command table (the row's Need, and read when the row says such a
// call reveals stored data). A tool whose command the table lacks is not
// offered.
type tool struct {
	name, desc string
	sample     []string
	add        func(h *handler, srv *sdk.Server, t *sdk.Tool)
}

// def declares a tool whose input is In and whose command line build makes.
func def[In any](name, desc string, sample []string, build func(In) ([]string, error)) tool {
	return tool{name: name, desc: desc, sample: sample, add: func(h *handler, srv *sdk.Server, t *sdk.Tool) {
		sdk.AddTool(srv, t, func(ctx context.Context, req *sdk.CallToolRequest, in In) (*sdk.CallToolResult, Reply, error) {
			args, err := build(in)
			if err != nil {
				return nil, Reply{}, err
			}
			v, err := h.run(ctx, h.sessionOf(req.Session), args)
			return nil, Reply{Result: v}, err
		})
	}}
}

// needs is what the tool's plainest call needs of a key; ok is false when
// the server has no such command.
func (t *tool) needs(tab *commands.Table) (ns []tenant.Need, ok bool) {
	args := bargs(t.sample)
	cmd, msg := tab.Resolve(args)
	if cmd == nil || msg != "" {
		return nil, false
	}
	ns = append(ns, cmd.Need)
	if cmd.NeedsRead(args) {
		ns = append(ns, tenant.NeedRead)
	}
	return ns, true
}

func init() {
	if len(tools) > 64 {
		panic("httpapi/mcp: more tools than a uint64 set holds")
	}
}

// offered is the set of tools a key may run, a bit per entry of tools:
// those whose command the table has and whose needs p allows (nil: no
// authentication, every tool).
func (h *handler) offered(p *tenant.Principal) uint64 {
	var set uint64
	for i := range tools {
		ns, ok := tools[i].needs(h.srv.Table)
		if ok && (p == nil || !slices.ContainsFunc(ns, func(n tenant.Need) bool { return !p.Allows(n) })) {
			set |= 1 << i
		}
	}
	return set
}

// serverFor is the SDK server offering the tools p may run, built once
// per set of tools.
func (h *handler) serverFor(p *tenant.Principal) *sdk.Server {
	set := h.offered(p)
	h.smu.Lock()
	defer h.smu.Unlock()
	if srv := h.servers[set]; srv != nil {
		return srv
	}
	srv := sdk.NewServer(impl, &sdk.ServerOptions{
		SchemaCache:  h.cache,
		Capabilities: &sdk.ServerCapabilities{Tools: &sdk.ToolCapabilities{}},
		Instructions: "Synap is a Redis-compatible store. Tools run one command each on your tenant's keys; " +
			"errors are Redis's texts. The command tool runs any other command.",
	})
	for i := range tools {
		if set&(1<<i) == 0 {
			continue
		}
		t := &tools[i]
		ns, _ := t.needs(h.srv.Table)
		readOnly := !slices.ContainsFunc(ns, func(n tenant.Need) bool { return n != tenant.NeedRead && n != tenant.NeedNone })
		destructive := slices.Contains(ns, tenant.NeedDelete) || slices.Contains(ns, tenant.NeedAdmin)
		t.add(h, srv, &sdk.Tool{Name: t.name, Description: t.desc, Annotations: &sdk.ToolAnnotations{
			ReadOnlyHint: readOnly, DestructiveHint: &destructive, OpenWorldHint: new(bool),
		}})
	}
	h.addCommandTool(srv)
	h.servers[set] = srv
	return srv
}

var (
	errClosed       = errors.New("ERR the MCP session is closed")
	errTooManyCalls = fmt.Errorf("ERR too many tool calls waiting on this MCP session (%d)", maxWaiting)
)

// run executes args on the session's commands.Session through the one
// entry point, one call at a time. A RESP error reply becomes the tool's
// error with its text; a blocking command still waiting after MaxBlock
// answers null, as its own timeout would.
func (h *handler) run(ctx context.Context, s *session, args []string) (any, error) {
	if s == nil {
		return nil, errClosed
	}
	if err := s.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.release()
	wctx, cancel := context.WithTimeout(ctx, h.opts.MaxBlock)
	defer cancel()
	v, err := h.srv.Call(wctx, s.cs, bargs(args)...)
	switch {
	case err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
		return nil, nil
	case err != nil:
		return nil, err
	case v.Kind == resp.KindError || v.Kind == resp.KindBulkError:
		return nil, replyError(v)
	}
	return toJSON(v), nil
}

func (s *session) acquire(ctx context.Context) error {
	if s.waiting.Add(1) > maxWaiting {
		s.waiting.Add(-1)
		return errTooManyCalls
	}
	defer s.waiting.Add(-1)
	select {
	case <-s.closed:
		return errClosed
	default:
	}
	select {
	case s.turn <- struct{}{}:
		select {
		case <-s.closed:
			<-s.turn
			return errClosed
		default:
		}
		if s.cs.IsKilled() {
			<-s.turn
			return errClosed
		}
		return nil
	case <-s.closed:
		return errClosed
	case <-s.cs.Killed():
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *session) release() { <-s.turn }

func bargs(args []string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// Inputs. Field docs become the JSON schema's descriptions.
type (
	keyIn struct {
		Key string `json:"key" jsonschema:"the key"`
	}
	keysIn struct {
		Keys []string `json:"keys" jsonschema:"one or more keys"`
	}
	setIn struct {
		Key   string `json:"key" jsonschema:"the key"`
		Value string `json:"value" jsonschema:"the value to store"`
		EX    int64  `json:"ex,omitempty" jsonschema:"expire after this many seconds"`
		NX    bool   `json:"nx,omitempty" jsonschema:"only set when the key does not exist"`
		XX    bool   `json:"xx,omitempty" jsonschema:"only set when the key exists"`
	}
	expireIn struct {
		Key     string `json:"key" jsonschema:"the key"`
		Seconds int64  `json:"seconds" jsonschema:"time to live in seconds"`
	}
	incrIn struct {
		Key       string `json:"key" jsonschema:"the key"`
		Increment int64  `json:"increment" jsonschema:"amount to add (negative subtracts)"`
	}
	fieldsIn struct {
		Key    string            `json:"key" jsonschema:"the hash"`
		Fields map[string]string `json:"fields" jsonschema:"field names and their values"`
	}
	fieldIn struct {
		Key   string `json:"key" jsonschema:"the hash"`
		Field string `json:"field" jsonschema:"the field"`
	}
	fieldNamesIn struct {
		Key    string   `json:"key" jsonschema:"the hash"`
		Fields []string `json:"fields" jsonschema:"field names"`
	}
	valuesIn struct {
		Key    string   `json:"key" jsonschema:"the key"`
		Values []string `json:"values" jsonschema:"elements, in order"`
	}
	popIn struct {
		Key   string `json:"key" jsonschema:"the list"`
		Count int64  `json:"count,omitempty" jsonschema:"pop this many (default one, returned alone)"`
	}
	rangeIn struct {
		Key   string `json:"key" jsonschema:"the key"`
		Start int64  `json:"start" jsonschema:"first index (negative counts from the end)"`
		Stop  int64  `json:"stop" jsonschema:"last index, inclusive (-1 is the last)"`
	}
	membersIn struct {
		Key     string   `json:"key" jsonschema:"the set"`
		Members []string `json:"members" jsonschema:"members"`
	}
	memberIn struct {
		Key    string `json:"key" jsonschema:"the set"`
		Member string `json:"member" jsonschema:"the member"`
	}
	scored struct {
		Score  float64 `json:"score" jsonschema:"the member's score"`
		Member string  `json:"member" jsonschema:"the member"`
	}
	zaddIn struct {
		Key     string   `json:"key" jsonschema:"the sorted set"`
		Members []scored `json:"members" jsonschema:"members with their scores"`
	}
	zrangeIn struct {
		Key        string `json:"key" jsonschema:"the sorted set"`
		Start      int64  `json:"start" jsonschema:"first rank (negative counts from the end)"`
		Stop       int64  `json:"stop" jsonschema:"last rank, inclusive (-1 is the last)"`
		WithScores bool   `json:"withscores,omitempty" jsonschema:"return [member, score] pairs"`
	}
	xaddIn struct {
		Key    string            `json:"key" jsonschema:"the stream"`
		ID     string            `json:"id,omitempty" jsonschema:"entry id (default * : generated)"`
		Fields map[string]string `json:"fields" jsonschema:"the entry's fields and values"`
	}
	xrangeIn struct {
		Key   string `json:"key" jsonschema:"the stream"`
		Start string `json:"start,omitempty" jsonschema:"first id (default - : the oldest)"`
		End   string `json:"end,omitempty" jsonschema:"last id (default + : the newest)"`
		Count int64  `json:"count,omitempty" jsonschema:"at most this many entries"`
	}
	queueIn struct {
		Queue string `json:"queue" jsonschema:"the queue"`
	}
	qcreateIn struct {
		Queue         string `json:"queue" jsonschema:"the queue"`
		MaxDepth      int64  `json:"maxdepth,omitempty" jsonschema:"at most this many messages held"`
		AckDeadlineMS int64  `json:"ackdeadline_ms,omitempty" jsonschema:"a consumed message not acknowledged within this many milliseconds is delivered again"`
		MaxRetries    int64  `json:"maxretries,omitempty" jsonschema:"deliveries before a message goes to the dead-letter queue"`
		DLQ           string `json:"dlq,omitempty" jsonschema:"the dead-letter queue"`
	}
	qpublishIn struct {
		Queue    string `json:"queue" jsonschema:"the queue"`
		Payload  string `json:"payload" jsonschema:"the message"`
		Priority int64  `json:"priority,omitempty" jsonschema:"0-9, higher first"`
		DelayMS  int64  `json:"delay_ms,omitempty" jsonschema:"deliver no sooner than this many milliseconds from now"`
	}
	qconsumeIn struct {
		Queue    string `json:"queue" jsonschema:"the queue"`
		Consumer string `json:"consumer" jsonschema:"the consumer's name"`
		Count    int64  `json:"count,omitempty" jsonschema:"at most this many messages"`
	}
	qackIn struct {
		Queue string   `json:"queue" jsonschema:"the queue"`
		IDs   []string `json:"ids" jsonschema:"ids of messages to acknowledge"`
	}
	publishIn struct {
		Channel string `json:"channel" jsonschema:"the channel"`
		Message string `json:"message" jsonschema:"the message"`
	}
	scanIn struct {
		Cursor string `json:"cursor,omitempty" jsonschema:"the cursor a previous call returned (default 0: start)"`
		Match  string `json:"match,omitempty" jsonschema:"glob-style pattern keys must match"`
		Count  int64  `json:"count,omitempty" jsonschema:"hint: how many keys to look at"`
		Type   string `json:"type,omitempty" jsonschema:"only keys of this type (string, list, set, zset, hash, stream...)"`
	}
	commandIn struct {
		Args []string `json:"args" jsonschema:"the command and its arguments, e.g. [\"GETRANGE\", \"k\", \"0\", \"3\"]"`
	}
	noIn struct{}
)

func i64(n int64) string { return strconv.FormatInt(n, 10) }

// pairs flattens a map into field value ... in a stable order.
func pairs(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		out = append(out, k, m[k])
	}
	return out
}

func cat(head []string, tail ...string) []string { return append(slices.Clone(head), tail...) }

func one(name string) func(keyIn) ([]string, error) {
	return func(in keyIn) ([]string, error) { return []string{name, in.Key}, nil }
}

func many(name string) func(keysIn) ([]string, error) {
	return func(in keysIn) ([]string, error) { return cat([]string{name}, in.Keys...), nil }
}

func push(name string) func(valuesIn) ([]string, error) {
	return func(in valuesIn) ([]string, error) { return cat([]string{name, in.Key}, in.Values...), nil }
}

func pop(name string) func(popIn) ([]string, error) {
	return func(in popIn) ([]string, error) {
		if in.Count != 0 {
			return []string{name, in.Key, i64(in.Count)}, nil
		}
		return []string{name, in.Key}, nil
	}
}

func setMembers(name string) func(membersIn) ([]string, error) {
	return func(in membersIn) ([]string, error) { return cat([]string{name, in.Key}, in.Members...), nil }
}

// tools is every tool Synap offers; a session sees those its key may run.
var tools = []tool{
	// Keys and strings.
	def("get", "GET: the string value of a key (null when missing).", []string{"GET", "k"}, one("GET")),
	def("set", "SET: store a string value, optionally with a TTL, or only if the key is absent (nx) or present (xx).",
		[]string{"SET", "k", "v"}, func(in setIn) ([]string, error) {
			args := []string{"SET", in.Key, in.Value}
			if in.EX != 0 {
				args = append(args, "EX", i64(in.EX))
			}
			if in.NX {
				args = append(args, "NX")
			}
			if in.XX {
				args = append(args, "XX")
			}
			return args, nil
		}),
	def("mget", "MGET: the values of several keys, null for each missing one.", []string{"MGET", "k"}, many("MGET")),
	def("del", "DEL: remove keys; returns how many existed.", []string{"DEL", "k"}, many("DEL")),
	def("exists", "EXISTS: how many of the keys exist.", []string{"EXISTS", "k"}, many("EXISTS")),
	def("type", "TYPE: the kind of value at a key (none when missing).", []string{"TYPE", "k"}, one("TYPE")),
	def("ttl", "TTL: seconds left to live (-1 no expiry, -2 missing).", []string{"TTL", "k"}, one("TTL")),
	def("expire", "EXPIRE: set a key's time to live in seconds; 1 if set.", []string{"EXPIRE", "k", "1"},
		func(in expireIn) ([]string, error) { return []string{"EXPIRE", in.Key, i64(in.Seconds)}, nil }),
	def("incrby", "INCRBY: add an integer to a key's value and return the result.", []string{"INCRBY", "k", "1"},
		func(in incrIn) ([]string, error) { return []string{"INCRBY", in.Key, i64(in.Increment)}, nil }),
	def("dbsize", "DBSIZE: how many keys you have.", []string{"DBSIZE"},
		func(noIn) ([]string, error) { return []string{"DBSIZE"}, nil }),
	def("scan", "SCAN: iterate over your keys; call again with the returned cursor until it is \"0\".",
		[]string{"SCAN", "0"}, func(in scanIn) ([]string, error) {
			c := in.Cursor
			if c == "" {
				c = "0"
			}
			args := []string{"SCAN", c}
			if in.Match != "" {
				args = append(args, "MATCH", in.Match)
			}
			if in.Count != 0 {
				args = append(args, "COUNT", i64(in.Count))
			}
			if in.Type != "" {
				args = append(args, "TYPE", in.Type)
			}
			return args, nil
		}),
	def("flushdb", "FLUSHDB: delete every key you have (needs the admin permission).", []string{"FLUSHDB"},
		func(noIn) ([]string, error) { return []string{"FLUSHDB"}, nil }),

	// Hashes.
	def("hset", "HSET: set fields of a hash; returns how many were new.", []string{"HSET", "k", "f", "v"},
		func(in fieldsIn) ([]string, error) {
			if len(in.Fields) == 0 {
				return nil, fmt.Errorf("%s", commands.ArityErr("hset"))
			}
			return cat([]string{"HSET", in.Key}, pairs(in.Fields)...), nil
		}),
	def("hget", "HGET: one field of a hash (null when missing).", []string{"HGET", "k", "f"},
		func(in fieldIn) ([]string, error) { return []string{"HGET", in.Key, in.Field}, nil }),
	def("hgetall", "HGETALL: every field of a hash, as an object.", []string{"HGETALL", "k"}, one("HGETALL")),
	def("hdel", "HDEL: remove fields of a hash; returns how many existed.", []string{"HDEL", "k", "f"},
		func(in fieldNamesIn) ([]string, error) { return cat([]string{"HDEL", in.Key}, in.Fields...), nil }),

	// Lists.
	def("lpush", "LPUSH: insert elements at the head of a list; returns its length.", []string{"LPUSH", "k", "v"}, push("LPUSH")),
	def("rpush", "RPUSH: append elements to a list; returns its length.", []string{"RPUSH", "k", "v"}, push("RPUSH")),
	def("lpop", "LPOP: remove and return the first element(s) of a list.", []string{"LPOP", "k"}, pop("LPOP")),
	def("rpop", "RPOP: remove and return the last element(s) of a list.", []string{"RPOP", "k"}, pop("RPOP")),
	def("lrange", "LRANGE: elements of a list between two indexes, inclusive.", []string{"LRANGE", "k", "0", "-1"},
		func(in rangeIn) ([]string, error) {
			return []string{"LRANGE", in.Key, i64(in.Start), i64(in.Stop)}, nil
		}),
	def("llen", "LLEN: the length of a list.", []string{"LLEN", "k"}, one("LLEN")),

	// Sets.
	def("sadd", "SADD: add members to a set; returns how many were new.", []string{"SADD", "k", "m"}, setMembers("SADD")),
	def("srem", "SREM: remove members from a set; returns how many existed.", []string{"SREM", "k", "m"}, setMembers("SREM")),
	def("smembers", "SMEMBERS: every member of a set.", []string{"SMEMBERS", "k"}, one("SMEMBERS")),
	def("sismember", "SISMEMBER: 1 if the member is in the set, else 0.", []string{"SISMEMBER", "k", "m"},
		func(in memberIn) ([]string, error) { return []string{"SISMEMBER", in.Key, in.Member}, nil }),

	// Sorted sets.
	def("zadd", "ZADD: add members with scores (or update their scores); returns how many were new.",
		[]string{"ZADD", "k", "1", "m"}, func(in zaddIn) ([]string, error) {
			if len(in.Members) == 0 {
				return nil, fmt.Errorf("%s", commands.ArityErr("zadd"))
			}
			args := []string{"ZADD", in.Key}
			for _, m := range in.Members {
				args = append(args, strconv.FormatFloat(m.Score, 'g', -1, 64), m.Member)
			}
			return args, nil
		}),
	def("zrange", "ZRANGE: members between two ranks, lowest score first, optionally with scores.",
		[]string{"ZRANGE", "k", "0", "-1"}, func(in zrangeIn) ([]string, error) {
			args := []string{"ZRANGE", in.Key, i64(in.Start), i64(in.Stop)}
			if in.WithScores {
				args = append(args, "WITHSCORES")
			}
			return args, nil
		}),
	def("zrem", "ZREM: remove members from a sorted set; returns how many existed.", []string{"ZREM", "k", "m"}, setMembers("ZREM")),
	def("zscore", "ZSCORE: a member's score (null when missing).", []string{"ZSCORE", "k", "m"},
		func(in memberIn) ([]string, error) { return []string{"ZSCORE", in.Key, in.Member}, nil }),

	// Streams.
	def("xadd", "XADD: append an entry to a stream; returns its id.", []string{"XADD", "k", "*", "f", "v"},
		func(in xaddIn) ([]string, error) {
			if len(in.Fields) == 0 {
				return nil, fmt.Errorf("%s", commands.ArityErr("xadd"))
			}
			id := in.ID
			if id == "" {
				id = "*"
			}
			return cat([]string{"XADD", in.Key, id}, pairs(in.Fields)...), nil
		}),
	def("xrange", "XRANGE: entries of a stream between two ids, oldest first.", []string{"XRANGE", "k", "-", "+"},
		func(in xrangeIn) ([]string, error) {
			start, end := in.Start, in.End
			if start == "" {
				start = "-"
			}
			if end == "" {
				end = "+"
			}
			args := []string{"XRANGE", in.Key, start, end}
			if in.Count != 0 {
				args = append(args, "COUNT", i64(in.Count))
			}
			return args, nil
		}),
	def("xlen", "XLEN: how many entries a stream holds.", []string{"XLEN", "k"}, one("XLEN")),

	// Queues.
	def("qcreate", "QCREATE: create a Synap queue, with optional limits (max depth, ack deadline, retries before the dead-letter queue).",
		[]string{"QCREATE", "q"}, func(in qcreateIn) ([]string, error) {
			args := []string{"QCREATE", in.Queue}
			if in.MaxDepth != 0 {
				args = append(args, "MAXDEPTH", i64(in.MaxDepth))
			}
			if in.AckDeadlineMS != 0 {
				args = append(args, "ACKDEADLINE", i64(in.AckDeadlineMS))
			}
			if in.MaxRetries != 0 {
				args = append(args, "MAXRETRIES", i64(in.MaxRetries))
			}
			if in.DLQ != "" {
				args = append(args, "DLQ", in.DLQ)
			}
			return args, nil
		}),
	def("qstats", "QSTATS: a queue's counts (ready, delayed, in flight, dead) and settings.", []string{"QSTATS", "q"},
		func(in queueIn) ([]string, error) { return []string{"QSTATS", in.Queue}, nil }),
	def("qpublish", "QPUBLISH: put a message on a Synap queue, with a priority (0-9) and a delay; returns its id.",
		[]string{"QPUBLISH", "q", "m"}, func(in qpublishIn) ([]string, error) {
			args := []string{"QPUBLISH", in.Queue, in.Payload}
			if in.Priority != 0 {
				args = append(args, "PRIORITY", i64(in.Priority))
			}
			if in.DelayMS != 0 {
				args = append(args, "DELAY", i64(in.DelayMS))
			}
			return args, nil
		}),
	def("qconsume", "QCONSUME: take messages from a queue as a named consumer; acknowledge them with qack.",
		[]string{"QCONSUME", "q", "c"}, func(in qconsumeIn) ([]string, error) {
			args := []string{"QCONSUME", in.Queue, in.Consumer}
			if in.Count != 0 {
				args = append(args, "COUNT", i64(in.Count))
			}
			return args, nil
		}),
	def("qack", "QACK: acknowledge consumed messages by id.", []string{"QACK", "q", "1"},
		func(in qackIn) ([]string, error) { return cat([]string{"QACK", in.Queue}, in.IDs...), nil }),

	// Pub/sub.
	def("publish", "PUBLISH: send a message to a channel; returns how many subscribers got it.",
		[]string{"PUBLISH", "c", "m"}, func(in publishIn) ([]string, error) {
			return []string{"PUBLISH", in.Channel, in.Message}, nil
		}),
}

// commandTool runs any command the session may run; it is offered to every
// key, and the dispatcher refuses what the key may not do with RESP's
// NOPERM. Commands that change or need the connection itself are refused
// (connectionBound).
func (h *handler) addCommandTool(srv *sdk.Server) {
	sdk.AddTool(srv, &sdk.Tool{
		Name: "command",
		Description: "Run any Synap/Redis command, e.g. {\"args\": [\"GETRANGE\", \"k\", \"0\", \"3\"]}. " +
			"Commands that change the connection (AUTH, HELLO, SELECT, MULTI, SUBSCRIBE, CLIENT REPLY...) are refused.",
	}, func(ctx context.Context, req *sdk.CallToolRequest, in commandIn) (*sdk.CallToolResult, Reply, error) {
		if len(in.Args) == 0 {
			return nil, Reply{}, errors.New("ERR empty command")
		}
		if cmd, _ := h.srv.Table.Resolve(bargs(in.Args)); cmd != nil && connectionBound(cmd) {
			return nil, Reply{}, fmt.Errorf("ERR '%s' cannot be run through MCP: it works on the connection, and MCP has none", cmd.Name)
		}
		v, err := h.run(ctx, h.sessionOf(req.Session), in.Args)
		return nil, Reply{Result: v}, err
	})
}

// connectionBound reports whether a command works on the connection's own
// state, which an MCP session, spread over many HTTP requests and mapped to
// JSON per call, does not have as a client expects: (re)authentication
// (no_auth: AUTH, HELLO, RESET, QUIT), transactions (MULTI, EXEC, WATCH),
// subscriptions (pubsub rows Redis keeps out of scripts: SUBSCRIBE and
// the like), and the few rows that switch what the connection receives.
func connectionBound(c *commands.Command) bool {
	f := c.Flags
	switch {
	case f&(commands.FlagNoAuth|commands.FlagTxControl) != 0:
		return true
	case f&commands.FlagPubSub != 0 && f&commands.FlagNoScript != 0:
		return true
	}
	return slices.Contains(connectionRows, c.Name)
}

// connectionRows change what the connection receives or where it points:
// SELECT (a tenant has one database; a standalone session stays on 0),
// MONITOR, replies switched off, and pushes (tracking, subscriptions:
// named too, so a pubsub row flagged otherwise cannot slip through), which
// a tool call would never see.
var connectionRows = []string{"select", "monitor", "client|reply", "client|tracking",
	"subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe"}
