// Package server is the RESP surface's network side: the TCP listener and
// one connection loop per client (socket I/O, read pacing, pipeline
// warming), each holding a session of package commands and running its
// commands through commands.Server.Exec. It imports commands; commands
// knows it only as a Listener and each connection as a Transport.
package server

import (
	"errors"
	"net"
	"strconv"
	"time"

	"synap/commands"
	"synap/sched"
)

// Listener accepts RESP connections for one server.
type Listener struct {
	srv   *commands.Server
	ln    net.Listener
	pacer *readPacer
}

// ListenAndServe listens on the configured address and serves until the
// server is closed.
func ListenAndServe(srv *commands.Server) error {
	cfg := srv.Config()
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Bind, strconv.Itoa(cfg.Port)))
	if err != nil {
		return err
	}
	return Serve(srv, ln)
}

// Serve accepts RESP connections on ln until the server is closed.
func Serve(srv *commands.Server, ln net.Listener) error {
	l := newListener(srv, ln)
	if !srv.AddListener(l) {
		_ = ln.Close()
		return nil
	}
	return l.accept()
}

// Start serves ln in the background; srv.Addr is valid when it returns.
func Start(srv *commands.Server, ln net.Listener) *Listener {
	l := newListener(srv, ln)
	if !srv.AddListener(l) {
		_ = ln.Close()
		return l
	}
	go func() { _ = l.accept() }()
	return l
}

func newListener(srv *commands.Server, ln net.Listener) *Listener {
	return &Listener{srv: srv, ln: ln, pacer: newReadPacer()}
}

// Addr is the listening address.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Close stops accepting; the server's Close calls it.
func (l *Listener) Close() error { return l.ln.Close() }

func (l *Listener) accept() error {
	s, ln := l.srv, l.ln
	s.Log.Info("serving RESP", "addr", ln.Addr().String())
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.Closing() {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Out of file descriptors and the like pass: keep serving the
			// clients already connected and try again shortly, as Redis does.
			s.Log.Warn("accept failed; retrying", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		refusal, unauthed := s.Admit(nc.RemoteAddr().String())
		if refusal != "" {
			_, _ = nc.Write([]byte(refusal))
			_ = nc.Close()
			continue
		}
		id, ok := s.BeginConn()
		if !ok {
			if unauthed {
				s.ReleaseUnauth(nc.RemoteAddr().String())
			}
			_ = nc.Close()
			return nil
		}
		go func() {
			defer s.EndConn()
			l.serve(nc, id, unauthed)
		}()
		// A burst of connections (one tenant reconnecting from 20 sockets
		// after each refusal) is accepted one at a time between the
		// requests already waiting, not all of them first.
		sched.Defer()
	}
}
