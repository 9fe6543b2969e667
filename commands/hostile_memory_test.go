package commands

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// Ids were taken twice per connection (at accept and in newClient), so
// three new connections got 1, 3, 5.
func TestHostileClientIDsAreConsecutive(t *testing.T) {
	srv := startServer(t)
	for want := 1; want <= 3; want++ {
		c := dial(t, srv)
		if got := c.Do("CLIENT", "ID"); got != ":"+string(rune('0'+want)) {
			t.Errorf("connection %d: CLIENT ID = %s", want, got)
		}
	}
}

// closingListener hands out one connection only once it is being closed:
// the connection a server accepts while it shuts down.
type closingListener struct {
	closed chan struct{}
	once   sync.Once
	late   net.Conn
	handed bool
}

func (l *closingListener) Accept() (net.Conn, error) {
	<-l.closed
	if !l.handed {
		l.handed = true
		// Late enough that Close has already killed the clients it knew.
		time.Sleep(50 * time.Millisecond)
		return l.late, nil
	}
	return nil, net.ErrClosed
}

func (l *closingListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *closingListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// A connection accepted while Close runs was never killed: its goroutine
// read forever and SIGTERM could hang.
func TestHostileConnectionAcceptedDuringClose(t *testing.T) {
	srv := newTestServer()
	server, peer := net.Pipe()
	defer peer.Close()
	ln := &closingListener{closed: make(chan struct{}), late: server}
	srv.Start(ln)
	closed := make(chan struct{})
	go func() {
		_ = srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs on a connection accepted while it ran")
	}
	// The late connection must be closed, not left serving.
	_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [1]byte
	_, err := peer.Read(b[:])
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("the connection accepted during Close is still open (read: %v)", err)
	}
}
