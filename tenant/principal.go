package tenant

import (
	"strings"
	"time"
)

// Surface is where a request came in.
type Surface uint8

const (
	SurfaceRESP Surface = 1 << iota
	SurfaceREST
	SurfaceWebSocket
	SurfaceMCP
)

var surfaceNames = []struct {
	s    Surface
	name string
}{{SurfaceRESP, "resp"}, {SurfaceREST, "rest"}, {SurfaceWebSocket, "websocket"}, {SurfaceMCP, "mcp"}}

func (s Surface) String() string {
	for _, n := range surfaceNames {
		if n.s == s {
			return n.name
		}
	}
	return "unknown"
}

// ParseSurface reads a HiveHub surface name.
func ParseSurface(name string) (Surface, bool) {
	for _, n := range surfaceNames {
		if strings.EqualFold(n.name, name) {
			return n.s, true
		}
	}
	return 0, false
}

var permNames = []struct {
	p    Perm
	name string
}{{PermRead, "read"}, {PermWrite, "write"}, {PermDelete, "delete"}, {PermAdmin, "admin"}}

// ParsePerm reads a HiveHub permission name.
func ParsePerm(name string) (Perm, bool) {
	for _, n := range permNames {
		if strings.EqualFold(n.name, name) {
			return n.p, true
		}
	}
	return 0, false
}

// Names lists the permissions in p in HiveHub's spelling.
func (p Perm) Names() []string {
	var out []string
	for _, n := range permNames {
		if p&n.p != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// Principal is who is behind a connection or request.
type Principal struct {
	UserID string
	KeyID  string
	Plan   string
	Perms  Perm
	// Surfaces the key may be used on; 0 means all.
	Surfaces  Surface
	ExpiresAt time.Time // zero: never
	// Operator is the server operator (--admin-key): every command, every tenant.
	Operator bool
}

// Allows reports whether the principal may run a command that needs n.
// admin includes read, write and delete; nothing but the operator has server.
func (p *Principal) Allows(n Need) bool {
	if p.Operator {
		return true
	}
	switch n {
	case NeedNone:
		return true
	case NeedRead:
		return p.Perms&(PermRead|PermAdmin) != 0
	case NeedWrite:
		return p.Perms&(PermWrite|PermAdmin) != 0
	case NeedDelete:
		return p.Perms&(PermDelete|PermAdmin) != 0
	case NeedAdmin:
		return p.Perms&PermAdmin != 0
	}
	return false
}

// AllowsSurface reports whether the key may be used on s.
func (p *Principal) AllowsSurface(s Surface) bool {
	return p.Operator || p.Surfaces == 0 || p.Surfaces&s != 0
}

// Expired reports whether the key is past its expiry at now.
func (p *Principal) Expired(now time.Time) bool {
	return !p.ExpiresAt.IsZero() && !now.Before(p.ExpiresAt)
}

// Namespace is the engine namespace holding the tenant's keys.
func (p *Principal) Namespace() string {
	if p.Operator {
		return ""
	}
	return "user:" + p.UserID + ":"
}

// ValidUserID reports whether id can name a tenant namespace: it must not be
// able to reach into another namespace or be mistaken for a pattern.
func ValidUserID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c == '-' || c == '_' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}
