// Package printers renders API objects the way kubectl shows them: the
// columns of `kubectl get` (and `-o wide`), ages, pod STATUS, and the text of
// `kubectl describe pod`.
//
// It is the one implementation of those views. The HTTP front end uses it to
// answer kubectl's server-side Table requests (the real kube-apiserver builds
// the same tables, and kubectl only prints the cells it is given), and the
// kubesim command uses it for its own views, so a trainee sees the same rows
// in both places.
//
// Everything takes "now" as an argument: ages are computed against the
// simulation's virtual clock, never the wall clock.
package printers

import (
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// Column is one column of a table, as metav1.TableColumnDefinition: a
// Priority of 1 marks a column kubectl shows only with -o wide.
type Column struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Format      string `json:"format"`
	Description string `json:"description"`
	Priority    int32  `json:"priority"`
}

// Row is one object's cells, in column order. Cells are strings or int64,
// as the apiserver sends them.
type Row struct {
	Cells  []any
	Object api.Object
}

// Table is a list of rows under their column definitions.
type Table struct {
	Columns []Column
	Rows    []Row
}

// printer produces the cells of one kind.
type printer struct {
	columns []Column
	row     func(obj api.Object, now time.Time) []any
}

var printers = map[string]printer{}

func register(resource string, columns []Column, row func(api.Object, time.Time) []any) {
	printers[resource] = printer{columns: columns, row: row}
}

func nameColumn() Column {
	return Column{Name: "Name", Type: "string", Format: "name", Description: "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"}
}

func ageColumn() Column {
	return Column{Name: "Age", Type: "string", Description: "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC."}
}

func col(name, typ, desc string) Column { return Column{Name: name, Type: typ, Description: desc} }

func wide(name, typ, desc string) Column {
	return Column{Name: name, Type: typ, Description: desc, Priority: 1}
}

// defaultPrinter is NAME AGE, what kubectl shows for kinds without columns
// of their own.
var defaultPrinter = printer{
	columns: []Column{nameColumn(), ageColumn()},
	row: func(obj api.Object, now time.Time) []any {
		m := obj.GetObjectMeta()
		return []any{m.Name, Age(m.CreationTimestamp, now)}
	},
}

func printerFor(resource string) printer {
	if p, ok := printers[resource]; ok {
		return p
	}
	return defaultPrinter
}

// Columns returns the column definitions of a resource (plural name). Wide
// columns have Priority 1.
func Columns(resource string) []Column {
	return append([]Column(nil), printerFor(resource).columns...)
}

// RowFor returns the cells of one object, every column included.
func RowFor(resource string, obj api.Object, now time.Time) Row {
	return Row{Cells: printerFor(resource).row(obj, now), Object: obj}
}

// TableFor builds the table of objects of one resource (plural name).
func TableFor(resource string, objs []api.Object, now time.Time) *Table {
	p := printerFor(resource)
	t := &Table{Columns: append([]Column(nil), p.columns...), Rows: make([]Row, 0, len(objs))}
	for _, o := range objs {
		t.Rows = append(t.Rows, Row{Cells: p.row(o, now), Object: o})
	}
	return t
}

// HasColumns reports whether the resource has columns of its own rather
// than the NAME AGE default.
func HasColumns(resource string) bool {
	_, ok := printers[resource]
	return ok
}
