package web

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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
	data, dataType := []byte("null"), "application/json"
	if d != nil {
		var err error
		if data, err = packData(d); err != nil {
			return nil, err
		}
		dataType = dataPacked
	}
	name, mode, csp := "live", "static", cspStatic
	if d != nil {
		name = d.Name
	}
	if live {
		mode, csp = "live", cspLive
	}
	r := strings.NewReplacer(
		"{{CSP}}", csp,
		"{{TITLE}}", html.EscapeString(name),
		"{{MODE}}", mode,
		"{{CSS}}", asset("app.css"),
		"{{JS}}", strings.ReplaceAll(asset("app.js"), "</script", `<\/script`),
		"{{DATA}}", string(data),
		"{{DATATYPE}}", dataType,
	)
	var buf bytes.Buffer
	if _, err := r.WriteString(&buf, asset("index.html")); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// dataPacked is the type of the page's data element: the data as JSON,
// gzipped, in base64. A run's JSON is mostly repetition; packed, the file
// is several times smaller and the browser parses the page that much
// faster (it unpacks the data with DecompressionStream).
const dataPacked = "application/gzip+base64"

// packData is the data as the page carries it. Base64 has no character
// that could end the script element.
func packData(d *Data) ([]byte, error) {
	js, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz) // no name, no time: the same data packs to the same bytes
	if _, err := zw.Write(js); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	out := make([]byte, base64.StdEncoding.EncodedLen(gz.Len()))
	base64.StdEncoding.Encode(out, gz.Bytes())
	return out, nil
}

// UnpackData reads the data back out of a page WriteHTML wrote.
func UnpackData(page []byte) (*Data, error) {
	const open = `<script id="kubesim-data" type="` + dataPacked + `">`
	i := bytes.Index(page, []byte(open))
	if i < 0 {
		return nil, errors.New("not a kubesim page: no packed data element")
	}
	rest := page[i+len(open):]
	j := bytes.Index(rest, []byte("</script>"))
	if j < 0 {
		return nil, errors.New("not a kubesim page: the data element does not end")
	}
	gz, err := base64.StdEncoding.DecodeString(string(rest[:j]))
	if err != nil {
		return nil, fmt.Errorf("the page's data is not base64: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("the page's data is not gzip: %w", err)
	}
	var d Data
	if err := json.NewDecoder(zr).Decode(&d); err != nil {
		return nil, fmt.Errorf("the page's data is not the JSON of a run: %w", err)
	}
	return &d, nil
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
