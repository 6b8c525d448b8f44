package pyro

import (
	"github.com/gopyro/pyro/internal/framing"
	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/serializer"
)

// decodeMeter charges the memory budget for what a request decodes to beyond its frame
// (serializer.Meter): a list of zeros takes eight to sixteen times its encoding in Go. The
// first decodeFree bytes are free, as small frames are; beyond them it takes from the
// budget, in steps of decodeStep, into the message's charge, released with the message.
type decodeMeter struct {
	budget  *framing.Budget
	held    *framing.Charge
	free    int // bytes still free
	pending int // charged, not yet taken from the budget
}

const (
	decodeFree = 64 << 10
	decodeStep = 64 << 10
)

// Charge implements serializer.Meter.
func (m *decodeMeter) Charge(n int) error {
	if n <= m.free {
		m.free -= n
		return nil
	}
	m.pending += n - m.free
	m.free = 0
	if m.pending < decodeStep {
		return nil
	}
	n, m.pending = m.pending, 0
	return m.held.Take(m.budget, int64(n))
}

// meterFor returns the meter for decoding msg, nil when the daemon has no budget.
func (c *serverConn) meterFor(msg *wire.Message) serializer.Meter {
	b := c.d.wcfg.Budget
	if b == nil {
		return nil
	}
	c.meter = decodeMeter{budget: b, held: &msg.Held, free: decodeFree}
	return &c.meter
}
