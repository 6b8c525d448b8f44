// Package clustertest holds the end-to-end tests of name servers sharing an etcd registry:
// real `pyro ns`-equivalent processes on an in-process 3-member etcd cluster, Python Pyro4
// clients, Go clients failing over, leased names of killed processes. It has no code of its
// own; its test binary re-executes itself as the name server and client processes.
package clustertest
