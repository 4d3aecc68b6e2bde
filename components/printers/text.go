package printers

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// TextOptions choose what WriteText prints.
type TextOptions struct {
	// Wide includes the priority-1 columns (-o wide).
	Wide bool
	// WithNamespace adds a NAMESPACE column first (-A).
	WithNamespace bool
	// NoHeaders leaves the header line out (--no-headers, and the rows of
	// a watch after the first).
	NoHeaders bool
}

// NewTabWriter returns the tab writer kubectl prints tables with: cells
// at least 6 wide and 3 spaces between columns.
func NewTabWriter(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 6, 4, 3, ' ', 0)
}

// WriteText prints a table as `kubectl get` does: upper-case headers, the
// cells as the server formatted them, columns aligned with three spaces
// between them.
func WriteText(w io.Writer, t *Table, opts TextOptions) error {
	tw := NewTabWriter(w)
	if err := writeRows(tw, t, opts); err != nil {
		return err
	}
	return tw.Flush()
}

func writeRows(w io.Writer, t *Table, opts TextOptions) error {
	show := make([]bool, len(t.Columns))
	for i, c := range t.Columns {
		show[i] = c.Priority == 0 || opts.Wide
	}
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString(strings.Join(cells, "\t"))
		b.WriteByte('\n')
	}
	if !opts.NoHeaders {
		var h []string
		if opts.WithNamespace {
			h = append(h, "NAMESPACE")
		}
		for i, c := range t.Columns {
			if show[i] {
				h = append(h, strings.ToUpper(c.Name))
			}
		}
		line(h)
	}
	for _, r := range t.Rows {
		var cells []string
		if opts.WithNamespace {
			ns := ""
			if r.Object != nil {
				ns = r.Object.GetObjectMeta().Namespace
			}
			cells = append(cells, ns)
		}
		for i, c := range r.Cells {
			if i < len(show) && show[i] {
				cells = append(cells, FormatCell(c))
			}
		}
		line(cells)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// FormatCell renders one cell as kubectl does.
func FormatCell(c any) string {
	switch v := c.(type) {
	case nil:
		return "<none>"
	case string:
		return v
	}
	return fmt.Sprint(c)
}
