package main

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// ShoppingCart is the Go twin of shoppingcart.py's ShoppingCart. Carts stay in the shop's
// process; the shop registers each one and hands it out, so the client gets a proxy to it
// (autoproxy) and fills it remotely.
type ShoppingCart struct {
	number int64 // printed where Python prints id(self)

	mu       sync.Mutex
	contents []string
}

var lastCart atomic.Int64

// NewShoppingCart takes a new cart.
func NewShoppingCart() *ShoppingCart {
	c := &ShoppingCart{number: lastCart.Add(1)}
	fmt.Printf("(shoppingcart %d taken)\n", c.number)
	return c
}

// Purchase puts an item in the cart.
func (c *ShoppingCart) Purchase(item string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.contents = append(c.contents, item)
	fmt.Printf("(%s put into shoppingcart %d)\n", item, c.number)
}

// Empty empties the cart.
func (c *ShoppingCart) Empty() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.contents = nil
}

// GetContents returns what is in the cart (an empty list, never None, when nothing is).
func (c *ShoppingCart) GetContents() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.contents)
}
