package wire5

import "github.com/gopyro/pyro/internal/framing"

// Config holds the per-connection settings of the frame layer. The zero value (and a nil
// *Config) is Pyro5's defaults: a 1 GiB message size limit and no compression.
type Config struct {
	// MaxMessageSize limits data plus annotations, in bytes (Pyro5's MAX_MESSAGE_SIZE). 0 means
	// DefaultMaxMessageSize, as Pyro5 always has a limit; less than 0 means none beyond what
	// the 32-bit size fields hold. Read refuses a bigger frame before reading its body, Write
	// refuses to send one. Read also applies it to the decompressed payload, which Pyro5 does
	// not, so that a compressed frame cannot inflate past it.
	MaxMessageSize int

	// MaxDecompressedSize bounds an inflated payload; 0 or less means
	// DefaultMaxDecompressedSize. The message size limit, when smaller, wins.
	MaxDecompressedSize int

	// Compress makes Write zlib-compress payloads of more than 100 bytes (Pyro5's
	// COMPRESSION), keeping the result when it is strictly smaller. Read inflates whatever it
	// receives regardless.
	Compress bool

	// Budget, when set, is taken from by Read for frame bodies over framing.FreeSize and for
	// every inflated payload (Message.Held); a frame larger than the whole budget is
	// ErrTooLarge, one that cannot get its bytes within the budget's wait ErrBusy.
	Budget *framing.Budget
}

var zeroConfig Config

func configOrZero(c *Config) *Config {
	if c == nil {
		return &zeroConfig
	}
	return c
}

// maxMessageSize is the effective limit on data plus annotations; -1 means none.
func (c *Config) maxMessageSize() int64 {
	switch {
	case c.MaxMessageSize == 0:
		return DefaultMaxMessageSize
	case c.MaxMessageSize < 0:
		return -1
	}
	return int64(c.MaxMessageSize)
}

// inflateLimit bounds the inflated payload of a frame whose annotations take annSize bytes.
func (c *Config) inflateLimit(annSize int) int {
	limit := DefaultMaxDecompressedSize
	if c.MaxDecompressedSize > 0 {
		limit = c.MaxDecompressedSize
	}
	if m := c.maxMessageSize(); m >= 0 && m-int64(annSize) < int64(limit) {
		limit = int(max(m-int64(annSize), 0))
	}
	if b := c.Budget; b != nil && b.Limit() < int64(limit) {
		limit = int(b.Limit())
	}
	return limit
}
