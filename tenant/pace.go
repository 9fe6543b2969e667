package tenant

import (
	"context"
	"io"
	"time"
)

// PaceReader reads r, a request body of the tenant's, at its
// max_input_bytes_per_second, which all its connections and surfaces
// share (SpendInput). A wait ends early when ctx does, with its error.
func (t *Tenant) PaceReader(ctx context.Context, r io.Reader) io.Reader {
	if t.Limits().MaxInputBytesPerSecond <= 0 {
		return r
	}
	return &pacedReader{r: r, t: t, ctx: ctx}
}

type pacedReader struct {
	r   io.Reader
	t   *Tenant
	ctx context.Context
}

func (p *pacedReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if d := p.t.SpendInput(int64(n), time.Now()); d > 0 {
		if werr := Pause(p.ctx, d); werr != nil && err == nil {
			err = werr
		}
	}
	return n, err
}

// Pause waits d, or until ctx ends (its error).
func Pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
