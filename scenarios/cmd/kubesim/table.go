package main

import (
	"io"
	"strings"

	"github.com/mattn/go-runewidth"
)

// width measures text as a terminal shows it: Hangul and other East Asian
// wide characters take two columns. The condition is fixed rather than
// read from the locale, so the output is the same everywhere.
var width = &runewidth.Condition{EastAsianWidth: false, StrictEmojiNeutral: true}

// writeTable prints rows as aligned columns, three spaces apart, the last
// column unpadded — the layout of kubectl's tables.
func writeTable(w io.Writer, rows [][]string) error {
	var widths []int
	for _, r := range rows {
		for i, cell := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], width.StringWidth(cell))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, cell := range r {
			b.WriteString(cell)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-width.StringWidth(cell)+3))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
