package main

import (
	"sync"

	"github.com/gopyro/pyro"
)

// Bank is what a bank publishes, banks.py's Bank class. Its Python clients call it in
// camelCase (createAccount, allAccounts), so it is registered with pyro.WithNaming(pyro.CamelCase).
type Bank interface {
	Name() string
	CreateAccount(name string) error
	DeleteAccount(name string) error
	Deposit(name string, amount float64) error
	Withdraw(name string, amount float64) error
	Balance(name string) (float64, error)
	AllAccounts() map[string]float64
}

// account is banks.py's Account; restrictedAccount refuses to go below zero.
type account interface {
	withdraw(amount float64) error
	deposit(amount float64)
	balance() float64
}

type unrestrictedAccount struct{ bal float64 }

func (a *unrestrictedAccount) withdraw(amount float64) error { a.bal -= amount; return nil }
func (a *unrestrictedAccount) deposit(amount float64)        { a.bal += amount }
func (a *unrestrictedAccount) balance() float64              { return a.bal }

type restrictedAccount struct{ unrestrictedAccount }

func (a *restrictedAccount) withdraw(amount float64) error {
	if amount > a.bal {
		// The Python client catches ValueError, so this is one (misspelling included).
		return pyro.NewError("builtins.ValueError", "insufficent balance")
	}
	a.bal -= amount
	return nil
}

// bank is both of banks.py's banks: they differ in their name and their kind of account.
// A Pyro4 daemon serves one Python call per thread, a Go daemon one per goroutine, so the
// accounts are guarded by a mutex.
type bank struct {
	name       string
	newAccount func() account

	mu       sync.Mutex
	accounts map[string]account
}

// NewRabobank returns the bank with unrestricted accounts.
func NewRabobank() Bank {
	return &bank{name: "Rabobank", newAccount: func() account { return &unrestrictedAccount{} }}
}

// NewABN returns the bank whose accounts cannot be overdrawn.
func NewABN() Bank {
	return &bank{name: "ABN bank", newAccount: func() account { return &restrictedAccount{} }}
}

// errUnknownAccount is the KeyError the Python bank raises; its client catches KeyError.
func errUnknownAccount() error { return pyro.NewError("builtins.KeyError", "unknown account") }

func (b *bank) Name() string { return b.name }

func (b *bank) CreateAccount(name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.accounts[name]; ok {
		return pyro.NewError("builtins.ValueError", "Account already exists")
	}
	if b.accounts == nil {
		b.accounts = map[string]account{}
	}
	b.accounts[name] = b.newAccount()
	return nil
}

func (b *bank) DeleteAccount(name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.accounts[name]; !ok {
		return errUnknownAccount()
	}
	delete(b.accounts, name)
	return nil
}

func (b *bank) Deposit(name string, amount float64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.accounts[name]
	if !ok {
		return errUnknownAccount()
	}
	a.deposit(amount)
	return nil
}

func (b *bank) Withdraw(name string, amount float64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.accounts[name]
	if !ok {
		return errUnknownAccount()
	}
	return a.withdraw(amount)
}

func (b *bank) Balance(name string) (float64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.accounts[name]
	if !ok {
		return 0, errUnknownAccount()
	}
	return a.balance(), nil
}

// AllAccounts maps each account to its balance. A Go map travels as a dict with its keys
// sorted; the Python bank's dict lists them in creation order, which its client (creating
// Irmen's account before Suzy's) cannot tell apart.
func (b *bank) AllAccounts() map[string]float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	all := make(map[string]float64, len(b.accounts))
	for name, a := range b.accounts {
		all[name] = a.balance()
	}
	return all
}
