package commands

import (
	"fmt"
	"testing"
)

func TestIsolationDumpTmp(t *testing.T) {
	var walk func(cs []*Command)
	walk = func(cs []*Command) {
		for _, c := range cs {
			fmt.Printf("%-28s ar=%3d need=%-6s keys=%d,%d,%d kf=%v flags=%v run=%v\n", c.Name, c.Arity, c.Need, c.FirstKey, c.LastKey, c.Step, c.KeysFn != nil, c.Flags.Names(), c.Run != nil)
			walk(c.Subs)
		}
	}
	walk(NewTable().All())
}
