package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyval"
)

// DummyDatabase is the Go twin of database.py's DummyDatabase: a key-value store with
// artificial delays, shared by every user and connection.
type DummyDatabase struct {
	allowedUsers []string

	mu      sync.Mutex
	storage map[string]any
}

func NewDummyDatabase() *DummyDatabase {
	return &DummyDatabase{storage: map[string]any{}, allowedUsers: []string{"user123", "admin"}}
}

// Connect returns a connection for user ("" when each call names its user).
func (db *DummyDatabase) Connect(user string) *Connection { return &Connection{db: db, user: user} }

func (db *DummyDatabase) set(key string, value any) {
	time.Sleep(rand.N(100 * time.Millisecond)) // artificial delay
	db.mu.Lock()
	defer db.mu.Unlock()
	db.storage[key] = value
}

func (db *DummyDatabase) get(key string) (any, error) {
	time.Sleep(rand.N(100 * time.Millisecond)) // artificial delay
	db.mu.Lock()
	defer db.mu.Unlock()
	v, ok := db.storage[key]
	if !ok {
		return nil, pyro.NewError("builtins.KeyError", "%s", key)
	}
	return v, nil
}

// Connection is database.py's Connection, with its artificial limitation: only one caller
// may use it at a time, and a second one at the same moment is an error. That is the point
// of the example: a Single object shared by concurrent clients runs into it, an object per
// session does not.
type Connection struct {
	db   *DummyDatabase
	user string
	busy sync.Mutex
}

// Store stores a value as user, or as the connection's user when user is "".
func (c *Connection) Store(key string, value any, user string) error {
	user = cmpOr(user, c.user)
	if !slices.Contains(c.db.allowedUsers, user) {
		return pyro.NewError("builtins.AssertionError", "access denied")
	}
	if !c.busy.TryLock() {
		return pyro.NewError("builtins.RuntimeError", "ERROR: concurrent connection access (write) by multiple different threads")
	}
	defer c.busy.Unlock()
	fmt.Printf("DB: user %s stores: %s = %s\n", user, key, pyStr(value))
	c.db.set(key, value)
	return nil
}

// Retrieve reads a value as user, or as the connection's user when user is "".
func (c *Connection) Retrieve(key, user string) (any, error) {
	user = cmpOr(user, c.user)
	if !slices.Contains(c.db.allowedUsers, user) {
		return nil, pyro.NewError("builtins.AssertionError", "access denied")
	}
	if !c.busy.TryLock() {
		return nil, pyro.NewError("builtins.RuntimeError", "ERROR: concurrent connection access (read) by multiple different threads")
	}
	defer c.busy.Unlock()
	fmt.Printf("DB: user %s retrieve: %s\n", user, key)
	return c.db.get(key)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// pyStr is Python's str() of a received value: a string as it is, anything else as its repr.
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyval.Repr(v)
}
