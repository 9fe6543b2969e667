package engine

import "testing"

// The id table at a shard's size under 1M keys (3,906 ids, the strings
// row's fill): a hit, a miss (every new key's lookup), and a new id added
// and an old one removed.
func BenchmarkIDTable(b *testing.B) {
	const n = 3906
	ids := randomIDs(7, 2*n)
	var tab idTable
	for _, id := range ids[:n] {
		tab.set(id, &Entry{})
	}
	b.Run("hit", func(b *testing.B) {
		for i := range b.N {
			if tab.get(ids[i%n]) == nil {
				b.Fatal("missing")
			}
		}
	})
	b.Run("miss", func(b *testing.B) {
		for i := range b.N {
			if tab.get(ids[n+i%n]) != nil {
				b.Fatal("present")
			}
		}
	})
	b.Run("churn", func(b *testing.B) {
		en := &Entry{}
		for i := range b.N {
			a, d := ids[n+i%n], ids[i%n]
			if i/n%2 == 1 {
				a, d = d, a
			}
			tab.set(a, en)
			tab.delete(d)
		}
	})
}
