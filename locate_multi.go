package pyro

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// NSTryTimeout bounds the time LocateNS spends on one name server of a list before it tries
// the next: a name server whose machine is gone costs at most this much.
const NSTryTimeout = 2 * time.Second

// nsAddrs splits a comma list of name server addresses into URIs.
func nsAddrs(list string, port int) ([]URI, error) {
	var out []URI
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		switch {
		case item == "":
			return nil, fmt.Errorf("%w: empty name server address in %q", ErrNaming, list)
		case strings.HasPrefix(item, "./u:"):
			out = append(out, nsURI(item, 0))
			continue
		}
		h, p, err := net.SplitHostPort(item)
		if err != nil { // no port: a host name, or a bare IPv6 address
			out = append(out, nsURI(strings.Trim(item, "[]"), port))
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("%w: bad port in name server address %q", ErrNaming, item)
		}
		out = append(out, nsURI(h, n))
	}
	return out, nil
}

// locateAny binds the first name server of the list that answers.
func locateAny(ctx context.Context, list string, port int, opts []ProxyOption) (*Proxy, error) {
	uris, err := nsAddrs(list, port)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, u := range uris {
		tctx, cancel := context.WithTimeout(ctx, NSTryTimeout)
		p, err := bindNS(tctx, u, opts)
		cancel()
		if err == nil {
			return p, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("%w: no name server of %q answers: %w", ErrNaming, list, errors.Join(errs...))
}
