package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyval"
)

// Name is the message bus's name in the name server (messagebus/__init__.py's
// PYRO_MSGBUS_NAME); subscribers and publishers find it by it.
const Name = "Pyro.MessageBus"

// Message is messagebus.py's Message as it travels: a dict with its class name under
// __class__, which the subscribers (importing messagebus.messagebus) turn back into a
// Message with a UUID and a datetime.
type Message struct {
	Class   string    `pyro:"__class__"` // messageClass
	MsgID   string    `pyro:"msgid"`     // a random UUID, as text
	Created string    `pyro:"created"`   // the local time it was sent, isoformat with microseconds
	Data    pyval.Raw `pyro:"data"`      // what the publisher sent, as sent (a tuple stays a tuple)
}

const messageClass = "Pyro4.utils.messagebus.message"

func newMessage(data pyval.Raw) Message {
	return Message{Class: messageClass, MsgID: newUUID4(), Created: time.Now().Format("2006-01-02T15:04:05.000000"), Data: data}
}

// newUUID4 is Python's str(uuid.uuid4()).
func newUUID4() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// MessageBus is the Go twin of messagebus.py's MessageBus with its MemoryStorage: topics,
// their pending messages and their subscribers, in memory. Publishers send messages to a
// topic; a goroutine (Python's sender thread) forwards them, in batches, to every
// subscriber of the topic by calling its incoming_messages(topic, messages). A subscriber
// that cannot be reached loses its subscriptions.
type MessageBus struct {
	log   io.Writer     // where the statistics and delivery problems go
	added chan struct{} // a message was sent: wake the sender

	mu          sync.Mutex                        // Python's msg_lock
	messages    map[string][]Message              // topic -> pending messages
	subscribers map[string]map[string]*pyro.Proxy // topic -> subscriber URI -> proxy
	proxies     map[string]*pyro.Proxy            // subscriber URI -> the one proxy kept for it
	total       int                               // messages sent since the start
}

// NewMessageBus makes the bus and starts its sender, which runs as long as ctx: registered
// with pyro.RegisterFactory(pyro.Single, ...), the bus is made on the first call, and the
// factory's context lasts as long as the daemon serves.
func NewMessageBus(ctx context.Context, log io.Writer) *MessageBus {
	b := &MessageBus{
		log:         log,
		added:       make(chan struct{}, 1),
		messages:    map[string][]Message{},
		subscribers: map[string]map[string]*pyro.Proxy{},
		proxies:     map[string]*pyro.Proxy{},
	}
	go b.sender(ctx)
	return b
}

// AddTopic creates a topic, if it does not exist yet.
func (b *MessageBus) AddTopic(topic string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.addTopic(topic)
}

func (b *MessageBus) addTopic(topic string) {
	if _, ok := b.messages[topic]; !ok {
		b.messages[topic] = []Message{}
		b.subscribers[topic] = map[string]*pyro.Proxy{}
	}
}

// RemoveTopic removes a topic that has no pending messages and no subscribers.
func (b *MessageBus) RemoveTopic(topic string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.messages[topic]) > 0 || len(b.subscribers[topic]) > 0 {
		return pyro.NewError("builtins.ValueError", "topic still has pending messages and/or subscribers")
	}
	delete(b.messages, topic)
	delete(b.subscribers, topic)
	return nil
}

// Topics returns the topics' names: a Go set (map[string]struct{}) is a Python set.
func (b *MessageBus) Topics() map[string]struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	topics := map[string]struct{}{}
	for t := range b.messages {
		topics[t] = struct{}{}
	}
	return topics
}

// Send puts a message on a topic, which must exist, and wakes the sender.
func (b *MessageBus) Send(topic string, message pyval.Raw) error {
	b.mu.Lock()
	pending, ok := b.messages[topic]
	if !ok {
		b.mu.Unlock()
		return pyro.NewError("builtins.KeyError", "%s", topic)
	}
	b.messages[topic] = append(pending, newMessage(message))
	b.total++
	b.mu.Unlock()
	select {
	case b.added <- struct{}{}:
	default: // the sender has been woken already
	}
	return nil
}

// SendNoAck is Send as a oneway call (see main.go's registration).
func (b *MessageBus) SendNoAck(topic string, message pyval.Raw) error { return b.Send(topic, message) }

// Subscribe adds a subscriber (a proxy: the subscriber passes itself) to a topic, creating
// the topic if needed. The subscriber must have an incoming_message method: the proxy's
// metadata, which came with it, says so.
func (b *MessageBus) Subscribe(ctx context.Context, topic string, subscriber *pyro.Proxy) error {
	methods, _, _, err := subscriber.Metadata(ctx)
	if err != nil || !slices.Contains(methods, "incoming_message") {
		subscriber.Close()
		return pyro.NewError("builtins.TypeError", "subscriber must have incoming_message() method")
	}
	uri := subscriber.URI().String()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.addTopic(topic)
	if kept, ok := b.proxies[uri]; ok { // one proxy per subscriber, whatever its topics
		subscriber.Close()
		subscriber = kept
	}
	b.proxies[uri] = subscriber
	b.subscribers[topic][uri] = subscriber
	return nil
}

// Unsubscribe removes a subscriber from a topic.
func (b *MessageBus) Unsubscribe(topic string, subscriber *pyro.Proxy) {
	defer subscriber.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.unsubscribe(topic, subscriber.URI().String())
}

func (b *MessageBus) unsubscribe(topic, uri string) {
	delete(b.subscribers[topic], uri)
	for _, subs := range b.subscribers {
		if _, ok := subs[uri]; ok {
			return // still subscribed elsewhere
		}
	}
	if p, ok := b.proxies[uri]; ok {
		p.Close()
		delete(b.proxies, uri)
	}
}

// sender forwards the pending messages, whenever one is sent and every 2 seconds, and
// prints statistics every 10 seconds.
func (b *MessageBus) sender(ctx context.Context) {
	var lastStats time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.added:
		case <-time.After(2010 * time.Millisecond):
		}
		if time.Since(lastStats) >= 10*time.Second {
			lastStats = time.Now()
			b.printStats()
		}
		// Take every pending message, and who subscribes to what.
		b.mu.Lock()
		pending := b.messages
		b.messages = make(map[string][]Message, len(pending))
		subscribers := map[string][]*pyro.Proxy{}
		for topic, subs := range b.subscribers {
			b.messages[topic] = []Message{}
			subscribers[topic] = slices.Collect(maps.Values(subs))
		}
		b.mu.Unlock()

		// Send each topic's batch to its subscribers; drop those that cannot take it.
		broken := map[*pyro.Proxy]bool{}
		for _, topic := range slices.Sorted(maps.Keys(pending)) {
			messages := pending[topic]
			if len(messages) == 0 {
				continue
			}
			for _, s := range subscribers[topic] {
				if broken[s] {
					continue
				}
				if err := deliver(ctx, s, topic, messages); err != nil {
					fmt.Fprintf(b.log, "error delivering message(s) for topic=%s, subscriber=%s, error=%v\n", topic, s.URI(), err)
					fmt.Fprintln(b.log, "removing subscription because of that error")
					broken[s] = true
				}
			}
		}
		if len(broken) > 0 {
			b.mu.Lock()
			for s := range broken {
				for topic := range b.subscribers {
					b.unsubscribe(topic, s.URI().String())
				}
			}
			b.mu.Unlock()
		}
	}
}

// deliver sends a batch of messages to a subscriber in one call. Pyro4 sends them one by one
// when the batch is too large for one message (MessageTooLargeError); a Go proxy refuses such
// a batch with a communication error that the pyro package offers no sentinel for, so the
// twin falls back to one by one after any failure, and gives up at the first one that fails.
func deliver(ctx context.Context, subscriber *pyro.Proxy, topic string, messages []Message) error {
	if subscriber.Call(ctx, "incoming_messages", nil, topic, messages) == nil {
		return nil
	}
	for _, m := range messages {
		if err := subscriber.Call(ctx, "incoming_message", nil, topic, m); err != nil {
			return err
		}
	}
	return nil
}

// printStats prints the statistics line, overwriting the previous one as Python's does.
func (b *MessageBus) printStats() {
	b.mu.Lock()
	topics, pending, total := len(b.messages), 0, b.total
	subscribers := 0
	for _, subs := range b.subscribers {
		subscribers += len(subs)
	}
	for _, msgs := range b.messages {
		pending += len(msgs)
	}
	b.mu.Unlock()
	fmt.Printf("\r[%s] stats: %d topics, %d subs, %d pending, %d total     ",
		time.Now().Format("2006-01-02 15:04:05"), topics, subscribers, pending, total)
}
