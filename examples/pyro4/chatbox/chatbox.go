package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/gopyro/pyro"
)

// ChatBox is the Go twin of server.py's ChatBox: it keeps the channels, who is in each and
// how to reach them (the callback object each client passed to join, which arrives as a
// proxy), and passes every message on to everybody in the channel with oneway calls, so a
// slow or gone client holds nobody up. It is served once for everybody.
type ChatBox struct {
	mu       sync.Mutex
	channels map[string][]member // channel -> who is in it, in the order they joined
	nicks    []string            // every nick on the server
}

type member struct {
	nick     string
	callback *pyro.Proxy
}

// NewChatBox returns an empty chat box.
func NewChatBox() *ChatBox { return &ChatBox{channels: map[string][]member{}} }

// GetChannels returns the channels' names (getChannels).
func (c *ChatBox) GetChannels() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	names := make([]string, 0, len(c.channels))
	for name := range c.channels {
		names = append(names, name)
	}
	return names
}

// GetNicks returns everybody's nick (getNicks): an empty list when nobody is here, which
// the client tests for.
func (c *ChatBox) GetNicks() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.nicks)
}

// Join adds nick to channel, creating it if needed, tells the channel, and returns who is in
// it. callback is the client's object with a oneway message(nick, msg) method.
func (c *ChatBox) Join(ctx context.Context, channel, nick string, callback *pyro.Proxy) ([]string, error) {
	if channel == "" || nick == "" {
		return nil, pyro.NewError("builtins.ValueError", "invalid channel or nick name")
	}
	c.mu.Lock()
	if slices.Contains(c.nicks, nick) {
		c.mu.Unlock()
		return nil, pyro.NewError("builtins.ValueError", "this nick is already in use")
	}
	if _, ok := c.channels[channel]; !ok {
		fmt.Printf("CREATING NEW CHANNEL %s\n", channel)
	}
	c.channels[channel] = append(c.channels[channel], member{nick, callback})
	c.nicks = append(c.nicks, nick)
	fmt.Printf("%s JOINED %s\n", nick, channel)
	var people []string
	for _, m := range c.channels[channel] {
		people = append(people, m.nick)
	}
	c.mu.Unlock()
	c.Publish(ctx, channel, "SERVER", "** "+nick+" joined **")
	return people, nil
}

// Leave takes nick out of channel, tells the others, and removes the channel when it is
// empty.
func (c *ChatBox) Leave(ctx context.Context, channel, nick string) {
	c.mu.Lock()
	if _, ok := c.channels[channel]; !ok {
		c.mu.Unlock()
		fmt.Printf("IGNORED UNKNOWN CHANNEL %s\n", channel)
		return
	}
	c.channels[channel] = slices.DeleteFunc(c.channels[channel], func(m member) bool {
		if m.nick == nick {
			m.callback.Close()
			return true
		}
		return false
	})
	c.mu.Unlock()
	c.Publish(ctx, channel, "SERVER", "** "+nick+" left **")
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.channels[channel]) == 0 {
		delete(c.channels, channel)
		fmt.Printf("REMOVED CHANNEL %s\n", channel)
	}
	c.nicks = slices.DeleteFunc(c.nicks, func(n string) bool { return n == nick })
	fmt.Printf("%s LEFT %s\n", nick, channel)
}

// Publish sends msg from nick to everybody in channel, with a oneway call each. A member
// that cannot be reached has gone away and is dropped.
func (c *ChatBox) Publish(ctx context.Context, channel, nick, msg string) {
	c.mu.Lock()
	members, ok := slices.Clone(c.channels[channel]), c.channels[channel] != nil
	c.mu.Unlock()
	if !ok {
		fmt.Printf("IGNORED UNKNOWN CHANNEL %s\n", channel)
		return
	}
	for _, m := range members {
		err := m.callback.Oneway(ctx, "message", nick, msg)
		if err != nil && errors.Is(err, pyro.ErrCommunication) {
			c.mu.Lock()
			if i := slices.Index(c.channels[channel], m); i >= 0 {
				c.channels[channel] = slices.Delete(c.channels[channel], i, i+1)
				fmt.Printf("Removed dead listener %s %s\n", m.nick, m.callback.URI())
				m.callback.Close()
			}
			c.mu.Unlock()
		}
	}
}
