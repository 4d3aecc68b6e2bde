package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"html"
	"io"
	"strings"
)

//go:embed assets/index.html assets/app.js assets/app.css
var assets embed.FS

// The page's Content-Security-Policy: scripts and styles only from the
// page itself; the static file may connect nowhere, the live page only to
// the kubesim that served it.
const (
	cspStatic = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
	cspLive   = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'"
)

func asset(name string) string {
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		panic("web: missing embedded asset " + name) // a build error, not an input error
	}
	return string(b)
}

// page renders the page around data (nil for the live page, which loads
// its data from the server).
func page(d *Data, live bool) ([]byte, error) {
	data := []byte("null")
	if d != nil {
		var err error
		if data, err = json.Marshal(d); err != nil {
			return nil, err
		}
	}
	name, mode, csp := "live", "static", cspStatic
	if d != nil {
		name = d.Name
	}
	if live {
		mode, csp = "live", cspLive
	}
	// json.Marshal escapes <, > and &, so the data cannot close its
	// script element.
	r := strings.NewReplacer(
		"{{CSP}}", csp,
		"{{TITLE}}", html.EscapeString(name),
		"{{MODE}}", mode,
		"{{CSS}}", asset("app.css"),
		"{{JS}}", strings.ReplaceAll(asset("app.js"), "</script", `<\/script`),
		"{{DATA}}", string(data),
	)
	var buf bytes.Buffer
	if _, err := r.WriteString(&buf, asset("index.html")); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteHTML writes the page of a run as one self-contained file: the data,
// the script and the styles inline; it loads nothing and sends nothing.
func WriteHTML(w io.Writer, d *Data) error {
	b, err := page(d, false)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
