package frontend

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/printers"
)

// tableJSON is meta.k8s.io/v1 Table.
type tableJSON struct {
	Kind              string            `json:"kind"`
	APIVersion        string            `json:"apiVersion"`
	Metadata          tableMeta         `json:"metadata"`
	ColumnDefinitions []printers.Column `json:"columnDefinitions,omitempty"`
	Rows              []rowJSON         `json:"rows"`
}

type tableMeta struct {
	ResourceVersion    string `json:"resourceVersion,omitempty"`
	Continue           string `json:"continue,omitempty"`
	RemainingItemCount *int64 `json:"remainingItemCount,omitempty"`
}

type rowJSON struct {
	Cells  []any           `json:"cells"`
	Object json.RawMessage `json:"object,omitempty"`
}

// partialObjectMetadata is what a row carries by default
// (includeObject=Metadata): enough for -A, --show-labels and -L.
type partialObjectMetadata struct {
	Kind       string          `json:"kind"`
	APIVersion string          `json:"apiVersion"`
	Metadata   *api.ObjectMeta `json:"metadata"`
}

func tableVersion(r *http.Request) string {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if strings.Contains(part, "as=Table") && strings.Contains(part, "v=v1;") || strings.HasSuffix(part, "v=v1") {
			return "meta.k8s.io/v1"
		}
	}
	if strings.Contains(r.Header.Get("Accept"), "v=v1beta1") {
		return "meta.k8s.io/v1beta1"
	}
	return "meta.k8s.io/v1"
}

// table builds the server-side Table kubectl prints, with the columns of
// package printers and ages at the simulation's now.
func (h *Handler) table(r *http.Request, tg target, objs []api.Object, rv string, columns bool) *tableJSON {
	apiVersion := tableVersion(r)
	var t *printers.Table
	if tg.crd != nil {
		t = h.customTable(tg.crd, tg.info.Version, objs)
	} else {
		t = printers.TableFor(tg.info.Resource, objs, h.cfg.Backend.Now())
	}
	out := &tableJSON{Kind: "Table", APIVersion: apiVersion, Metadata: tableMeta{ResourceVersion: rv}, Rows: make([]rowJSON, 0, len(t.Rows))}
	if columns {
		out.ColumnDefinitions = t.Columns
	}
	include := r.URL.Query().Get("includeObject")
	for _, row := range t.Rows {
		rj := rowJSON{Cells: row.Cells}
		switch include {
		case "None":
		case "Object":
			rj.Object, _ = api.ToJSON(row.Object)
		default:
			rj.Object, _ = json.Marshal(partialObjectMetadata{Kind: "PartialObjectMetadata", APIVersion: apiVersion, Metadata: row.Object.GetObjectMeta()})
		}
		out.Rows = append(out.Rows, rj)
	}
	return out
}
