package printers

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// CustomTable is the table of custom resources, as the apiextensions-
// apiserver's table convertor builds it from the CRD's
// additionalPrinterColumns: NAME, then each column's JSONPath evaluated
// on the object. A CRD without columns gets AGE
// (.metadata.creationTimestamp), as apiextensions defaults it. Cells are
// the values found (int64 for integers, strings, booleans), nil when the
// path finds nothing; a date column shows the age of its timestamp.
//
// kubesim's JSONPath is the subset printer columns use: .a.b.c, [n] and
// ['key'] (with or without the {} braces).
func CustomTable(columns []api.CustomResourceColumnDefinition, objs []api.Object, now time.Time) *Table {
	if len(columns) == 0 {
		columns = []api.CustomResourceColumnDefinition{{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp", Description: ageColumn().Description}}
	}
	t := &Table{Columns: []Column{nameColumn()}, Rows: make([]Row, 0, len(objs))}
	for _, c := range columns {
		t.Columns = append(t.Columns, Column{Name: c.Name, Type: c.Type, Format: c.Format, Description: c.Description, Priority: c.Priority})
	}
	for _, o := range objs {
		cells := []any{o.GetObjectMeta().Name}
		var doc map[string]any
		if cr, ok := o.(*api.CustomResource); ok {
			doc, _ = cr.Object()
		}
		for _, c := range columns {
			cells = append(cells, customCell(c, JSONPathValue(doc, c.JSONPath), now))
		}
		t.Rows = append(t.Rows, Row{Cells: cells, Object: o})
	}
	return t
}

func customCell(c api.CustomResourceColumnDefinition, v any, now time.Time) any {
	if v == nil {
		return nil
	}
	if c.Type == "date" {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil
		}
		return HumanDuration(now.Sub(ts))
	}
	return v
}

// JSONPathValue evaluates a printer column's JSONPath on a decoded JSON
// document and returns the first value found (integral numbers as int64),
// or nil.
func JSONPathValue(doc map[string]any, path string) any {
	path = strings.TrimSpace(path)
	path = strings.TrimSuffix(strings.TrimPrefix(path, "{"), "}")
	var cur any = doc
	for len(path) > 0 {
		switch {
		case path[0] == '.':
			path = path[1:]
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			key := path[:end]
			path = path[end:]
			if key == "" {
				continue
			}
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			if cur, ok = m[key]; !ok {
				return nil
			}
		case path[0] == '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return nil
			}
			sel := path[1:end]
			path = path[end+1:]
			if q := strings.Trim(sel, `'"`); q != sel {
				m, ok := cur.(map[string]any)
				if !ok {
					return nil
				}
				if cur, ok = m[q]; !ok {
					return nil
				}
				continue
			}
			i, err := strconv.Atoi(sel)
			l, ok := cur.([]any)
			if err != nil || !ok {
				return nil
			}
			if i < 0 {
				i += len(l)
			}
			if i < 0 || i >= len(l) {
				return nil
			}
			cur = l[i]
		default:
			return nil
		}
	}
	if f, ok := cur.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int64(f)
	}
	return cur
}
