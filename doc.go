// Package pyro is Pyro ("Python Remote Objects") for Go: call methods of objects that live in
// another process as if they were local, speaking the wire protocols of Python's Pyro4
// (version 48) and Pyro5 (version 502), so Go and Python programs call each other's objects.
//
// A Daemon serves Go objects; a Proxy stands for a remote object in the caller; a name server
// (package naming for the client, naming/nameserver to run one) maps names to URIs.
//
// A Daemon serves both protocols at once: each connection's first bytes say which it speaks
// (ConnInfo.Protocol), and Pyro4 and Pyro5 clients meet the same objects. A Proxy speaks
// Pyro4 or Pyro5 as ProxyConfig.Protocol (WithProtocol) says; by default (AutoProtocol) it
// finds out per daemon address, trying Pyro4 first and remembering a daemon that answered in
// Pyro5.
//
// Serving, in net/http's shape:
//
//	d, _ := pyro.NewDaemon(pyro.DaemonConfig{})           // no I/O; zero fields are defaults
//	ln, _ := d.Listen()                                     // localhost, a free port
//	uri, _ := pyro.RegisterAs[Greeter](d, &greeter{})       // publish an interface's methods
//	go d.Serve(ctx, ln)                                     // or ServeConn, ListenAndServe
//
// Calling, from Go (or from Python with Pyro4.Proxy(uri) or Pyro5.api.Proxy(uri)):
//
//	p, _ := pyro.NewProxyURI(uri)                           // or NewProxy("PYRONAME:greeter")
//	s, err := pyro.CallT[string](ctx, p, "hello", "world")
//	hello := pyro.Method1[string, string](p, "hello")       // typed: the compiler checks calls
//
// Methods are exposed under their Go and snake_case names (WithNaming(CamelCase) for
// camelCase); a registration that cannot work fails with a *RegisterError listing every
// problem and its fix. A first context.Context parameter
// receives the call's context (CallInfoFrom tells who called); errors become Python
// exceptions (NewError picks the class) and a remote exception is a *RemoteError, while a call
// that failed on the way is a *CallError naming the method and the object. Values
// convert between Go and Python as package pyval describes; serializers are serpent (Pyro's
// default), json, marshal and msgpack. An object registered with a daemon travels as a proxy
// to itself wherever it appears (autoproxy): pass your own registered object to a server to
// be called back, as in Pyro4. A SerializedBlob crosses dispatchers undecoded.
//
// A proxy keeps a pool of connections, and each connection is a session of its own on the
// daemon (one Session-mode instance each); WithSingleConnection keeps a proxy on one, as a
// Pyro4 proxy is. DaemonConfig.Handshake, ConnInfoFrom and DaemonConfig.OnDisconnect follow a
// connection's life; custom Annotations travel beside calls and replies both ways
// (WithAnnotations, CallInfo.Annotations, SetResponseAnnotation, CaptureResponseAnnotations).
//
// Configuration is DaemonConfig and ProxyConfig, whose zero fields mean the documented
// defaults; nothing reads PYRO_* environment variables unless DaemonConfigFromEnv or
// ProxyConfigFromEnv is called. Package pyrotest starts daemons, proxies and name servers
// for tests.
package pyro
