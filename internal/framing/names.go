package framing

import "fmt"

// Message types, the same numbers in Pyro4 and Pyro5.
const (
	Connect     = 1
	ConnectOK   = 2
	ConnectFail = 3
	Invoke      = 4
	Result      = 5
	Ping        = 6
)

// TypeName returns Pyro's name for a message type ("INVOKE"), or "TYPE(n)" for unknown ones.
func TypeName(t uint16) string {
	switch t {
	case Connect:
		return "CONNECT"
	case ConnectOK:
		return "CONNECTOK"
	case ConnectFail:
		return "CONNECTFAIL"
	case Invoke:
		return "INVOKE"
	case Result:
		return "RESULT"
	case Ping:
		return "PING"
	}
	return fmt.Sprintf("TYPE(%d)", t)
}

// FlagNames returns the flag bits named by names (bit i is names[i]) joined by "|"
// ("ONEWAY|BATCH"), unknown bits as a number, and "0" for none.
func FlagNames(f uint16, names []string) string {
	if f == 0 {
		return "0"
	}
	var b []byte
	for i, name := range names {
		if f&(1<<i) != 0 {
			if b != nil {
				b = append(b, '|')
			}
			b = append(b, name...)
		}
	}
	if rest := f &^ (1<<len(names) - 1); rest != 0 {
		if b != nil {
			b = append(b, '|')
		}
		b = fmt.Appendf(b, "%#x", rest)
	}
	return string(b)
}
