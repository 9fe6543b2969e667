package pubsub

import (
	"strings"
	"testing"
)

// frameRecv encodes each delivery through Message.Frame, as a session does,
// and keeps a copy.
type frameRecv struct {
	slot    int
	encodes *int
	got     []string
}

func (r *frameRecv) Deliver(m *Message, _ bool) bool {
	f := m.Frame(r.slot, func(dst []byte, m *Message) []byte {
		*r.encodes++
		dst = append(dst, m.Pattern...)
		dst = append(dst, '|')
		dst = append(dst, m.Channel...)
		dst = append(dst, '|')
		return append(dst, m.Payload...)
	})
	r.got = append(r.got, string(f))
	return true
}

// A fan-out encodes once per protocol, and again for each pattern (its
// frames differ); the next publish, which reuses the message, never sees
// the last one's frames.
func TestHubFrameEncodedOncePerFanOut(t *testing.T) {
	h := New()
	encodes := 0
	var rs []*frameRecv
	for i, k := range []Kind{Channel, Channel, Channel, Pattern, Pattern} {
		r := &frameRecv{slot: i % 2, encodes: &encodes}
		rs = append(rs, r)
		name := "news"
		if k == Pattern {
			name = []string{"n*", "*s"}[i%2]
		}
		if err := h.NewSub(r).Subscribe("", k, name, Limits{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, payload := range []string{"first", strings.Repeat("x", keepFrameBuf+1), "third"} {
		encodes = 0
		if n := h.Publish("", Channel, []byte("news"), []byte(payload), nil); n != 5 {
			t.Fatalf("Publish reached %d", n)
		}
		// Channel: slots 0 and 1; each pattern has one receiver.
		if encodes != 4 {
			t.Errorf("%d encodes for one fan-out, want 4", encodes)
		}
	}
	for i, r := range rs {
		want := []string{"|news|first", "|news|" + strings.Repeat("x", keepFrameBuf+1), "|news|third"}
		if i >= 3 {
			pat := []string{"n*", "*s"}[i%2]
			for j := range want {
				want[j] = pat + want[j]
			}
		}
		if strings.Join(r.got, ",") != strings.Join(want, ",") {
			t.Errorf("receiver %d got %.80q", i, r.got)
		}
	}
}

// A message goes back to the pool holding nothing of its publisher's
// arguments, and without a frame buffer past keepFrameBuf.
func TestHubMessageRecycledEmpty(t *testing.T) {
	m := getMessage(Channel, []byte("ch"), []byte("payload"))
	m.Pattern = []byte("p*")
	m.Frame(0, func(dst []byte, _ *Message) []byte { return append(dst, make([]byte, keepFrameBuf+1)...) })
	m.Frame(1, func(dst []byte, _ *Message) []byte { return append(dst, "small"...) })
	putMessage(m)
	if m.Channel != nil || m.Payload != nil || m.Pattern != nil || m.frames[0] != nil || m.frames[1] != nil {
		t.Errorf("recycled message still refers to the publish: %+v", m)
	}
	if m.bufs[0] != nil || cap(m.bufs[1]) == 0 {
		t.Errorf("kept buffers of %d and %d bytes", cap(m.bufs[0]), cap(m.bufs[1]))
	}
}
