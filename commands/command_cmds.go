package commands

import (
	"strings"

	"synap/engine"
	"synap/resp"
)

// The COMMAND family: everything it says is generated from the table, so a
// command added to a family shows up here without further work.

func init() {
	sub := func(name string, arity int, since, summary, complexity string, run func(*Ctx)) *Command {
		return &Command{Name: name, Arity: arity, Flags: FlagLoading | FlagStale, ACL: []string{"slow", "connection"},
			Group: "server", Since: since, Summary: summary, Complexity: complexity, Run: run}
	}
	register(&Command{Name: "command", Arity: -1, Flags: FlagLoading | FlagStale, ACL: []string{"slow", "connection"},
		Group: "server", Since: "2.8.13", Summary: "Describes every command the server knows.",
		Complexity: "O(N) where N is the number of commands", Run: cmdCommandAll,
		Subs: []*Command{
			sub("count", 2, "2.8.13", "Tells how many commands the server knows.", "O(1)", cmdCommandCount),
			sub("docs", -2, "7.0.0", "Gives the documentation of some or all commands.",
				"O(N) where N is the number of commands to look up", cmdCommandDocs),
			sub("getkeys", -4, "2.8.13", "Picks the key names out of a complete command line.",
				"O(N) where N is the number of arguments to the command", cmdCommandGetKeys),
			sub("help", 2, "5.0.0", "Lists the COMMAND subcommands and what they do.", "O(1)", cmdCommandHelp),
			sub("info", -2, "2.8.13", "Describes some or all commands: arity, flags, keys, categories.",
				"O(N) where N is the number of commands to look up", cmdCommandInfo),
			sub("list", -2, "7.0.0", "Lists command names, optionally filtered by category, pattern or module.",
				"O(N) where N is the total number of commands", cmdCommandList),
		}})
}

// commandACLOrder is the order in which Redis lists ACL categories.
var commandACLOrder = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
	"hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
	"dangerous", "connection", "transaction", "scripting",
}

// commandCategories are a command's ACL categories, including those Redis
// implies from its flags, in Redis's order.
func commandCategories(c *Command) []string {
	has := map[string]bool{}
	for _, a := range c.ACL {
		has[strings.TrimPrefix(strings.ToLower(a), "@")] = true
	}
	imply := func(f Flag, cats ...string) {
		if c.Flags&f != 0 {
			for _, cat := range cats {
				has[cat] = true
			}
		}
	}
	imply(FlagWrite, "write")
	if !has["scripting"] {
		imply(FlagReadOnly, "read")
	}
	imply(FlagAdmin, "admin", "dangerous")
	imply(FlagPubSub, "pubsub")
	imply(FlagFast, "fast")
	imply(FlagBlocking, "blocking")
	if !has["fast"] {
		has["slow"] = true
	}
	out := make([]string, 0, len(has))
	for _, cat := range commandACLOrder {
		if has[cat] {
			out = append(out, cat)
			delete(has, cat)
		}
	}
	for _, a := range c.ACL { // categories Redis does not have keep the family's order
		if cat := strings.TrimPrefix(strings.ToLower(a), "@"); has[cat] {
			out = append(out, cat)
			delete(has, cat)
		}
	}
	return out
}

// commandFlagNames are the flags COMMAND INFO shows. Redis hides
// may_replicate and lists movablekeys just before allow_busy.
func commandFlagNames(c *Command) []string {
	out := (c.Flags &^ (FlagMayReplicate | FlagAllowBusy)).Names()
	if c.KeysFn != nil {
		out = append(out, "movablekeys")
	}
	if c.Flags&FlagAllowBusy != 0 {
		out = append(out, "allow_busy")
	}
	return out
}

// commandLookup finds a command by its full name ("get", "config|get") in any case.
func commandLookup(t *Table, name []byte) *Command {
	parent, sub, found := strings.Cut(string(name), "|")
	c := t.Lookup([]byte(parent))
	if c == nil || !found {
		return c
	}
	return c.Sub([]byte(sub))
}

func cmdCommandAll(x *Ctx) {
	all := x.S.Table.All()
	x.W.Array(len(all))
	for _, c := range all {
		commandWriteInfo(x.W, c)
	}
}

func cmdCommandCount(x *Ctx) { x.W.Int(int64(len(x.S.Table.All()))) }

func cmdCommandInfo(x *Ctx) {
	if len(x.Args) == 2 {
		cmdCommandAll(x)
		return
	}
	x.W.Array(len(x.Args) - 2)
	for _, name := range x.Args[2:] {
		if c := commandLookup(x.S.Table, name); c != nil {
			commandWriteInfo(x.W, c)
		} else {
			x.W.Null()
		}
	}
}

// commandWriteInfo writes Redis 7's ten-element description of c.
func commandWriteInfo(w *resp.Writer, c *Command) {
	w.Array(10)
	w.BulkString(c.Name)
	w.Int(int64(c.Arity))
	flags := commandFlagNames(c)
	w.Set(len(flags))
	for _, f := range flags {
		w.Simple(f)
	}
	w.Int(int64(c.FirstKey))
	w.Int(int64(c.LastKey))
	w.Int(int64(c.Step))
	cats := commandCategories(c)
	w.Set(len(cats))
	for _, cat := range cats {
		w.Simple("@" + cat)
	}
	w.Set(0) // tips: the table has none yet
	commandWriteKeySpecs(w, c)
	if len(c.Subs) == 0 {
		w.Set(0) // Redis's quirk: an empty set, but an array when there are subcommands
		return
	}
	w.Array(len(c.Subs))
	for _, s := range c.Subs {
		commandWriteInfo(w, s)
	}
}

// commandWriteKeySpecs derives Redis 7 key specifications from the table's
// key positions: a range for fixed positions, an unknown spec for keys only
// KeysFn can find.
func commandWriteKeySpecs(w *resp.Writer, c *Command) {
	n := 0
	if c.FirstKey > 0 {
		n++
	}
	if c.KeysFn != nil {
		n++
	}
	w.Set(n)
	flags := []string{"RO"}
	switch {
	case c.Flags&FlagWrite != 0:
		flags = []string{"RW", "update"}
	case c.Flags&FlagReadOnly != 0:
		flags = []string{"RO", "access"}
	}
	spec := func(begin, find func()) {
		w.Map(3)
		w.BulkString("flags")
		w.Set(len(flags))
		for _, f := range flags {
			w.Simple(f)
		}
		w.BulkString("begin_search")
		begin()
		w.BulkString("find_keys")
		find()
	}
	if c.FirstKey > 0 {
		last := c.LastKey
		if last >= 0 {
			last -= c.FirstKey // relative to the first key, as Redis's range specs are
		}
		spec(func() { commandWriteSearch(w, "index", commandParam{"index", int64(c.FirstKey)}) },
			func() {
				commandWriteSearch(w, "range", commandParam{"lastkey", int64(last)},
					commandParam{"keystep", int64(max(c.Step, 1))}, commandParam{"limit", 0})
			})
	}
	if c.KeysFn != nil {
		unknown := func() { commandWriteSearch(w, "unknown") }
		spec(unknown, unknown)
	}
}

// commandParam is one integer parameter of a key spec's search.
type commandParam struct {
	name string
	v    int64
}

// commandWriteSearch writes one half of a key spec: its type and parameters.
func commandWriteSearch(w *resp.Writer, typ string, params ...commandParam) {
	w.Map(2)
	w.BulkString("type")
	w.BulkString(typ)
	w.BulkString("spec")
	w.Map(len(params))
	for _, p := range params {
		w.BulkString(p.name)
		w.Int(p.v)
	}
}

func cmdCommandDocs(x *Ctx) {
	var found []*Command
	if len(x.Args) == 2 {
		found = x.S.Table.All()
	} else {
		for _, name := range x.Args[2:] {
			if c := commandLookup(x.S.Table, name); c != nil {
				found = append(found, c)
			}
		}
	}
	x.W.Map(len(found))
	for _, c := range found {
		x.W.BulkString(c.Name)
		commandWriteDocs(x.W, c)
	}
}

// commandWriteDocs writes the COMMAND DOCS map of c: the documentation
// fields the table has, then its subcommands'.
func commandWriteDocs(w *resp.Writer, c *Command) {
	group := c.Group
	if group == "" && c.Parent() != nil {
		group = c.Parent().Group
	}
	fields := [][2]string{{"summary", c.Summary}, {"since", c.Since}, {"group", group}, {"complexity", c.Complexity}}
	n := 0
	for _, f := range fields {
		if f[1] != "" || f[0] == "group" {
			n++
		}
	}
	if len(c.Subs) > 0 {
		n++
	}
	w.Map(n)
	for _, f := range fields {
		if f[1] != "" || f[0] == "group" {
			w.BulkString(f[0])
			w.BulkString(f[1])
		}
	}
	if len(c.Subs) > 0 {
		w.BulkString("subcommands")
		w.Map(len(c.Subs))
		for _, s := range c.Subs {
			w.BulkString(s.Name)
			commandWriteDocs(w, s)
		}
	}
}

// commandFilter is COMMAND LIST's optional FILTERBY clause.
type commandFilter struct {
	kind, arg string // kind is "", "module", "aclcat" or "pattern"
}

func parseCommandList(x *Ctx) (commandFilter, bool) {
	var f commandFilter
	args := x.Args[2:]
	switch {
	case len(args) == 0:
		return f, true
	case len(args) == 3 && Lower(args[0]) == "filterby":
		f.kind, f.arg = Lower(args[1]), string(args[2])
		switch f.kind {
		case "module", "aclcat", "pattern":
			return f, true
		}
	}
	x.SyntaxError()
	return f, false
}

func (f commandFilter) match(c *Command) bool {
	switch f.kind {
	case "module":
		return false // Synap has no modules
	case "aclcat":
		for _, cat := range commandCategories(c) {
			if strings.EqualFold(cat, f.arg) {
				return true
			}
		}
		return false
	case "pattern":
		return engine.Match([]byte(f.arg), []byte(c.Name), true)
	}
	return true
}

func cmdCommandList(x *Ctx) {
	f, ok := parseCommandList(x)
	if !ok {
		return
	}
	var names []string
	var walk func(cs []*Command)
	walk = func(cs []*Command) {
		for _, c := range cs {
			if f.match(c) {
				names = append(names, c.Name)
			}
			walk(c.Subs)
		}
	}
	walk(x.S.Table.All())
	x.W.Array(len(names))
	for _, n := range names {
		x.W.BulkString(n)
	}
}

func cmdCommandGetKeys(x *Ctx) {
	args := x.Args[2:]
	c := x.S.Table.Lookup(args[0])
	if c != nil && len(c.Subs) > 0 && len(args) > 1 {
		c = c.Sub(args[1])
	}
	switch {
	case c == nil:
		x.Error(errGetKeysInvalidCmd)
		return
	case !c.HasKeys():
		x.Error(errGetKeysNoKeys)
		return
	case !c.ArityOK(len(args)):
		x.Error(errGetKeysArity)
		return
	}
	idx := c.KeyIndexes(nil, args)
	if len(idx) == 0 {
		x.Error(errGetKeysInvalidArgs)
		return
	}
	x.W.Array(len(idx))
	for _, i := range idx {
		x.W.Bulk(args[i])
	}
}

func cmdCommandHelp(x *Ctx) {
	writeHelp(x,
		"(no subcommand)",
		"    Return details about all Redis commands.",
		"COUNT",
		"    Return the total number of commands in this Redis server.",
		"LIST",
		"    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
	)
}

// writeHelp replies to a container's HELP the way Redis formats it: a
// header naming the command as typed, the lines, then HELP itself.
func writeHelp(x *Ctx, lines ...string) {
	x.W.Array(len(lines) + 3)
	x.W.Simple(strings.ToUpper(string(x.Args[0])) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		x.W.Simple(l)
	}
	x.W.Simple("HELP")
	x.W.Simple("    Prints this help.")
}
