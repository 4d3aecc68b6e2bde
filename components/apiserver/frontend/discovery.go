package frontend

import (
	"net/http"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
)

// Version is what GET /version reports. The kubectl on the project's
// machines is a dispatcher that runs the kubectl matching the server's
// major and minor version; 1.32 keeps it on the built-in v1.32.
var Version = map[string]string{
	"major":        "1",
	"minor":        "32",
	"gitVersion":   "v1.32.4-sim",
	"gitCommit":    "0000000000000000000000000000000000000000",
	"gitTreeState": "clean",
	"buildDate":    "2025-01-01T00:00:00Z",
	"goVersion":    "go1.26",
	"compiler":     "gc",
	"platform":     "linux/amd64",
}

func (h *Handler) version(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, Version)
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	writeBody(w, http.StatusOK, "text/plain; charset=utf-8", []byte("ok"))
}

// aggregatedType is the Content-Type that makes kubectl read a discovery
// answer as aggregated discovery; the same body as plain JSON is read as
// legacy discovery and looks empty.
const aggregatedType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

func wantsAggregated(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if strings.Contains(part, "as=APIGroupDiscoveryList") && strings.Contains(part, "v=v2") && !strings.Contains(part, "v=v2beta1") {
			return true
		}
	}
	return false
}

type groupVersionResources struct {
	gv        api.GroupVersion
	resources []*api.ResourceInfo
	// crds are the CRDs of the custom resources among resources.
	crds []*api.CustomResourceDefinition
}

// servedGroups lists the group versions with their resources: the core
// group first, then the others by name.
func servedGroups() []groupVersionResources {
	var out []groupVersionResources
	index := map[api.GroupVersion]int{}
	for _, r := range api.Resources() {
		gv := r.GroupVersion()
		i, ok := index[gv]
		if !ok {
			i = len(out)
			index[gv] = i
			out = append(out, groupVersionResources{gv: gv})
		}
		out[i].resources = append(out[i].resources, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].gv.Group < out[j].gv.Group })
	return out
}

// Aggregated discovery (apidiscovery.k8s.io/v2) types.
type (
	discoveryList struct {
		Kind       string           `json:"kind"`
		APIVersion string           `json:"apiVersion"`
		Metadata   map[string]any   `json:"metadata"`
		Items      []discoveryGroup `json:"items"`
	}
	discoveryGroup struct {
		Metadata map[string]any     `json:"metadata"`
		Versions []discoveryVersion `json:"versions"`
	}
	discoveryVersion struct {
		Version   string              `json:"version"`
		Resources []discoveryResource `json:"resources"`
		Freshness string              `json:"freshness"`
	}
	discoveryResource struct {
		Resource         string                 `json:"resource"`
		ResponseKind     api.GroupVersionKind   `json:"responseKind"`
		Scope            string                 `json:"scope"`
		SingularResource string                 `json:"singularResource"`
		Verbs            []string               `json:"verbs"`
		ShortNames       []string               `json:"shortNames,omitempty"`
		Categories       []string               `json:"categories,omitempty"`
		Subresources     []discoverySubresource `json:"subresources,omitempty"`
	}
	discoverySubresource struct {
		Subresource  string               `json:"subresource"`
		ResponseKind api.GroupVersionKind `json:"responseKind"`
		Verbs        []string             `json:"verbs"`
	}
)

func aggregated(groups []groupVersionResources) discoveryList {
	list := discoveryList{Kind: "APIGroupDiscoveryList", APIVersion: "apidiscovery.k8s.io/v2", Metadata: map[string]any{}, Items: []discoveryGroup{}}
	for _, g := range groups {
		v := discoveryVersion{Version: g.gv.Version, Freshness: "Current"}
		for _, r := range g.resources {
			scope := "Cluster"
			if r.Namespaced {
				scope = "Namespaced"
			}
			d := discoveryResource{Resource: r.Resource, ResponseKind: r.GVK(), Scope: scope, SingularResource: r.Singular,
				Verbs: sortedVerbs(r.Verbs), ShortNames: r.ShortNames, Categories: r.Categories}
			for _, s := range r.Subresources {
				d.Subresources = append(d.Subresources, discoverySubresource{Subresource: s.Name, ResponseKind: subresourceKind(r, s), Verbs: sortedVerbs(s.Verbs)})
			}
			v.Resources = append(v.Resources, d)
		}
		meta := map[string]any{"creationTimestamp": nil}
		if g.gv.Group != "" {
			meta["name"] = g.gv.Group
		}
		list.Items = append(list.Items, discoveryGroup{Metadata: meta, Versions: []discoveryVersion{v}})
	}
	return list
}

// subresourceKind is the kind a subresource answers with; streaming
// subresources (log, exec, proxy, ...) have none of their own and name
// their options kind, pods/log its pod.
func subresourceKind(r *api.ResourceInfo, s api.Subresource) api.GroupVersionKind {
	if s.Kind.Kind != "" {
		return s.Kind
	}
	options := map[string]string{"attach": "PodAttachOptions", "exec": "PodExecOptions", "portforward": "PodPortForwardOptions", "proxy": r.Kind + "ProxyOptions"}
	if k, ok := options[s.Name]; ok {
		return api.GroupVersionKind{Version: "v1", Kind: k}
	}
	return r.GVK()
}

func sortedVerbs(v []string) []string {
	out := append([]string(nil), v...)
	sort.Strings(out)
	return out
}

func (h *Handler) coreGroup(w http.ResponseWriter, r *http.Request) {
	groups := h.allGroups(r)
	if wantsAggregated(r) {
		writeAggregated(w, aggregated(groups[:1]))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": "APIVersions", "versions": []string{"v1"},
		"serverAddressByClientCIDRs": []map[string]string{{"clientCIDR": "0.0.0.0/0", "serverAddress": r.Host}}})
}

func (h *Handler) groups(w http.ResponseWriter, r *http.Request) {
	groups := h.withMetrics(h.allGroups(r))[1:]
	if wantsAggregated(r) {
		writeAggregated(w, aggregated(groups))
		return
	}
	list := make([]map[string]any, 0, len(groups))
	for _, g := range groups {
		list = append(list, apiGroup(g.gv))
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": list})
}

func writeAggregated(w http.ResponseWriter, list discoveryList) {
	writeJSONAs(w, http.StatusOK, aggregatedType, list)
}

func apiGroup(gv api.GroupVersion) map[string]any {
	v := map[string]string{"groupVersion": gv.String(), "version": gv.Version}
	return map[string]any{"name": gv.Group, "versions": []map[string]string{v}, "preferredVersion": v}
}

// resourceList is the legacy discovery document of one group version.
func resourceList(g groupVersionResources) map[string]any {
	var resources []map[string]any
	for _, r := range g.resources {
		e := map[string]any{"name": r.Resource, "singularName": r.Singular, "namespaced": r.Namespaced, "kind": r.Kind, "verbs": sortedVerbs(r.Verbs)}
		if len(r.ShortNames) > 0 {
			e["shortNames"] = r.ShortNames
		}
		if len(r.Categories) > 0 {
			e["categories"] = r.Categories
		}
		resources = append(resources, e)
		for _, s := range r.Subresources {
			k := subresourceKind(r, s)
			sub := map[string]any{"name": r.Resource + "/" + s.Name, "singularName": "", "namespaced": r.Namespaced, "kind": k.Kind, "verbs": sortedVerbs(s.Verbs)}
			if k.Group != g.gv.Group || k.Version != g.gv.Version {
				sub["group"], sub["version"] = k.Group, k.Version
			}
			resources = append(resources, sub)
		}
	}
	return map[string]any{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": g.gv.String(), "resources": resources}
}

// discovery answers the per-group and per-version legacy documents:
// /api/v1, /apis/<group>, /apis/<group>/<version>. It reports false when
// the path is not one of them.
func (h *Handler) discovery(w http.ResponseWriter, r *http.Request, parts []string) bool {
	groups := h.allGroups(r)
	switch {
	case parts[0] == "api" && len(parts) == 2 && parts[1] == "v1":
		writeJSON(w, http.StatusOK, resourceList(groups[0]))
		return true
	case parts[0] == "apis" && len(parts) == 2:
		for _, g := range groups[1:] {
			if g.gv.Group == parts[1] {
				m := apiGroup(g.gv)
				m["kind"], m["apiVersion"] = "APIGroup", "v1"
				writeJSON(w, http.StatusOK, m)
				return true
			}
		}
		writeError(w, notFound())
		return true
	case parts[0] == "apis" && len(parts) == 3:
		for _, g := range groups[1:] {
			if g.gv.Group == parts[1] && g.gv.Version == parts[2] {
				writeJSON(w, http.StatusOK, resourceList(g))
				return true
			}
		}
		writeError(w, notFound())
		return true
	}
	return false
}

// The OpenAPI v3 documents: with them, `kubectl apply` and `create`
// validate on the server (they send fieldValidation=Strict) instead of
// failing to download a schema — kubectl looks for a patch operation
// carrying the kind and the fieldValidation parameter — and `kubectl
// explain` finds the schemas of the kinds (openapi.go).

func openAPIPath(gv api.GroupVersion) string {
	if gv.Group == "" {
		return "api/v1"
	}
	return "apis/" + gv.Group + "/" + gv.Version
}

func (h *Handler) openAPIRoot(w http.ResponseWriter, r *http.Request) {
	paths := map[string]any{}
	for _, g := range h.allGroups(r) {
		p := openAPIPath(g.gv)
		paths[p] = map[string]string{"serverRelativeURL": "/openapi/v3/" + p}
	}
	writeJSON(w, http.StatusOK, map[string]any{"paths": paths})
}

func (h *Handler) openAPIGroupVersion(w http.ResponseWriter, r *http.Request) {
	want := strings.TrimPrefix(r.URL.Path, "/openapi/v3/")
	for _, g := range h.allGroups(r) {
		if openAPIPath(g.gv) != want {
			continue
		}
		paths := map[string]any{}
		for _, res := range g.resources {
			if !res.HasVerb(api.VerbPatch) {
				continue
			}
			p := "/" + want
			if res.Namespaced {
				p += "/namespaces/{namespace}"
			}
			p += "/" + res.Resource + "/{name}"
			paths[p] = map[string]any{"patch": map[string]any{
				"operationId":                     "patch" + res.Kind,
				"x-kubernetes-action":             "patch",
				"x-kubernetes-group-version-kind": map[string]string{"group": res.Group, "version": res.Version, "kind": res.Kind},
				"parameters": []map[string]any{
					{"name": "dryRun", "in": "query", "schema": map[string]string{"type": "string"}},
					{"name": "fieldManager", "in": "query", "schema": map[string]string{"type": "string"}},
					{"name": "fieldValidation", "in": "query", "schema": map[string]string{"type": "string"}},
					{"name": "force", "in": "query", "schema": map[string]string{"type": "boolean"}},
				},
			}}
		}
		writeJSON(w, http.StatusOK, map[string]any{"openapi": "3.0.0", "info": map[string]string{"title": "Kubernetes", "version": Version["gitVersion"]}, "paths": paths, "components": components(g)})
		return
	}
	writeError(w, notFound())
}

// openAPIV2 is a Swagger 2.0 document with no definitions, in the
// protobuf encoding kubectl asks for (gnostic's openapi_v2.Document:
// swagger = 1, info = 2 with title = 1 and version = 2). kubectl falls back
// to it for kinds the OpenAPI v3 documents do not name; finding none there
// either, it reports the kind as unknown, as it does against a real
// cluster.
func openAPIV2() []byte {
	str := func(field byte, s string) []byte { return append([]byte{field<<3 | 2, byte(len(s))}, s...) }
	info := append(str(1, "Kubernetes"), str(2, Version["gitVersion"])...)
	doc := str(1, "2.0")
	doc = append(doc, 2<<3|2, byte(len(info)))
	return append(doc, info...)
}

func (h *Handler) openAPIV2(w http.ResponseWriter, r *http.Request) {
	writeBody(w, http.StatusOK, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf", openAPIV2())
}
