package main

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyval"
)

// inventory is what the shop sells, and at what price.
var inventory = map[string]float64{
	"paper": 1.25, "bread": 1.50, "meat": 5.99, "milk": 0.80, "fruit": 2.65, "chocolate": 3.99, "pasta": 0.50,
	"sauce": 1.20, "vegetables": 1.40, "cookies": 1.99, "pizza": 3.60, "shampoo": 2.22, "whiskey": 24.99,
}

// Shop is the Go twin of shopserver.py's Shop, served once for everybody. Its Python
// clients call it in camelCase (payByName, getContents), so it and its carts are
// registered with pyro.WithNaming(pyro.CamelCase).
type Shop struct {
	d *pyro.Daemon // Python reaches it as self._pyroDaemon

	mu        sync.Mutex
	customers []string                 // in the order they came in
	carts     map[string]*ShoppingCart // by customer
	byID      map[string]*ShoppingCart // by object id, to recognise carts handed back
}

// NewShop returns a shop whose carts are served by d.
func NewShop(d *pyro.Daemon) *Shop {
	return &Shop{d: d, carts: map[string]*ShoppingCart{}, byID: map[string]*ShoppingCart{}}
}

// Enter gives the customer a cart: registered with the daemon, it travels as a proxy.
func (s *Shop) Enter(name string) (*ShoppingCart, error) {
	fmt.Printf("Customer %s enters the store.\n", name)
	fmt.Println("Customer takes a shopping cart.")
	cart := NewShoppingCart()
	uri, err := s.d.Register(cart, pyro.WithNaming(pyro.CamelCase)) // make cart a pyro object
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.carts[name]; !ok {
		s.customers = append(s.customers, name)
	}
	s.carts[name] = cart
	s.byID[uri.Object] = cart
	return cart, nil
}

// Customers returns who is in the shop.
func (s *Shop) Customers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.customers...)
}

// Goods returns the inventory.
func (s *Shop) Goods() map[string]float64 { return inventory }

// PayByName: the customer tells their name, the shop looks up their cart.
func (s *Shop) PayByName(name string) (string, error) {
	fmt.Printf("Customer %s goes to the counter to pay.\n", name)
	cart, err := s.cart(name)
	if err != nil {
		return "", err
	}
	return s.pay(cart, name)
}

// PayCart: the customer hands in the cart itself, which arrives as a proxy to one of the
// shop's own carts; the shop finds it by its object id. (Python's payCart calls it through
// the proxy, a remote call to itself.) name is optional, as in Python (pyro.WithParams).
func (s *Shop) PayCart(cart *pyro.Proxy, name string) (string, error) {
	s.mu.Lock()
	c, ok := s.byID[cart.URI().Object]
	s.mu.Unlock()
	if !ok {
		return "", pyro.NewError("builtins.ValueError", "not a shopping cart of this shop")
	}
	return s.pay(c, name)
}

func (s *Shop) pay(cart *ShoppingCart, name string) (string, error) {
	var receipt []string
	if name != "" {
		receipt = append(receipt, fmt.Sprintf("Receipt for %s.", name))
	}
	receipt = append(receipt, "Receipt Date: "+time.Now().Format(time.ANSIC)) // time.asctime()
	total := 0.0
	for _, item := range cart.GetContents() {
		price, ok := inventory[item]
		if !ok {
			return "", pyro.NewError("builtins.KeyError", "%s", item)
		}
		total += price
		receipt = append(receipt, fmt.Sprintf("%13s  %.2f", item, price))
	}
	receipt = append(receipt, "", fmt.Sprintf("%13s  %.2f", "total:", total))
	cart.Empty()
	return strings.Join(receipt, "\n"), nil
}

// Leave lets a customer out, unless their cart is not empty.
func (s *Shop) Leave(name string) error {
	fmt.Printf("Customer %s leaves.\n", name)
	cart, err := s.cart(name)
	if err != nil {
		return err
	}
	contents := cart.GetContents()
	printed, _ := pyval.FromGo(contents) // Repr prints Python values; FromGo makes the list one
	fmt.Printf("  their shopping cart contains: %s\n", pyval.Repr(printed))
	if len(contents) > 0 {
		fmt.Println("  it is not empty, they are trying to shoplift!")
		return pyro.NewError("builtins.Exception", "attempt to steal a full cart prevented")
	}
	// delete the cart and unregister it with pyro
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.carts, name)
	for i, c := range s.customers {
		if c == name {
			s.customers = append(s.customers[:i], s.customers[i+1:]...)
			break
		}
	}
	for id, c := range s.byID {
		if c == cart {
			delete(s.byID, id)
			return s.d.Unregister(id)
		}
	}
	return nil
}

func (s *Shop) cart(name string) (*ShoppingCart, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cart, ok := s.carts[name]
	if !ok {
		return nil, pyro.NewError("builtins.KeyError", "%s", name)
	}
	return cart, nil
}
