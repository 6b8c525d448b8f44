package gateway

import (
	"embed"
	"io/fs"
	"net/http"
)

// The console is plain HTML, CSS and JavaScript, embedded: no build step, nothing fetched
// from elsewhere.
//
//go:embed console
var consoleFiles embed.FS

// consoleHandler serves the console page at / (/pyro/, where Pyro's page is, redirects
// there), and its files under /static/.
func consoleHandler() http.Handler {
	sub, err := fs.Sub(consoleFiles, "console")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	page, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/pyro/" { // Pyro's page; ours is one level up, wherever it is mounted
			http.Redirect(w, r, "../", http.StatusFound)
			return
		}
		if r.URL.Path == "/" {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				plain(w, http.StatusMethodNotAllowed, "Error 405: Method Not Allowed")
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'")
			w.Write(page)
			return
		}
		files.ServeHTTP(w, r)
	})
}
