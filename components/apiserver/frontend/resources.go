package frontend

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiserver/fieldmanager"
	"github.com/kubesim/kubesim/components/apiwire"
	"go.yaml.in/yaml/v3"
)

// maxBodyBytes is the apiserver's request body limit (3 MiB).
const maxBodyBytes = 3 << 20

// target is a parsed resource path.
type target struct {
	info                 *api.ResourceInfo
	namespace, name, sub string
	resource             string // as written in the URL, for resources kubesim does not serve
	group, version       string
	unknown              bool
	// crd is the CustomResourceDefinition that serves info, for custom
	// resources.
	crd *api.CustomResourceDefinition
}

// parsePath parses /api/v1/... and /apis/<group>/<version>/...:
//
//	[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]
//
// /api/v1/namespaces/<name>/status and .../finalize are subresources of
// the namespace itself.
func parsePath(parts []string) (target, bool) {
	var t target
	var rest []string
	switch {
	case parts[0] == "api" && len(parts) >= 2 && parts[1] == "v1":
		t.version, rest = "v1", parts[2:]
	case parts[0] == "apis" && len(parts) >= 3:
		t.group, t.version, rest = parts[1], parts[2], parts[3:]
	default:
		return t, false
	}
	if len(rest) >= 3 && rest[0] == "namespaces" && !(len(rest) == 3 && (rest[2] == "status" || rest[2] == "finalize")) {
		t.namespace, rest = rest[1], rest[2:]
	}
	if len(rest) == 0 || len(rest) > 3 {
		return t, false
	}
	t.resource = rest[0]
	if len(rest) > 1 {
		t.name = rest[1]
	}
	if len(rest) > 2 {
		t.sub = rest[2]
	}
	info, ok := api.ResourceForGVR(api.GroupVersionResource{Group: t.group, Version: t.version, Resource: t.resource})
	t.info, t.unknown = info, !ok
	return t, true
}

func (h *Handler) resource(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 4 && h.discovery(w, r, parts) {
		return
	}
	if isHPAv1Create(r, parts) {
		h.createHPAv1(w, r, parts)
		return
	}
	t, ok := parsePath(parts)
	if ok && t.unknown {
		h.resolveCustom(r, &t)
	}
	if !ok || (t.unknown && (t.group != "" || t.version != "v1")) {
		writeError(w, notFound())
		return
	}
	q := r.URL.Query()
	if t.info != nil && t.info.Resource == "pods" && t.name != "" && (t.sub == "exec" || t.sub == "attach" || t.sub == "portforward") &&
		(r.Method == http.MethodGet || r.Method == http.MethodPost) {
		h.connect(w, r, t)
		return
	}
	switch r.Method {
	case http.MethodGet:
		switch {
		case t.name == "" && isTrue(q.Get("watch")):
			h.watch(w, r, t)
		case t.name == "":
			h.list(w, r, t)
		case t.sub == "log" && t.info != nil && t.info.Resource == "pods":
			h.logs(w, r, t)
		default:
			h.get(w, r, t)
		}
	case http.MethodPost:
		h.create(w, r, t)
	case http.MethodPut:
		h.update(w, r, t)
	case http.MethodPatch:
		h.patch(w, r, t)
	case http.MethodDelete:
		h.delete(w, r, t)
	default:
		writeError(w, methodNotAllowed(r.Method))
	}
}

func isTrue(s string) bool { return s == "true" || s == "1" }

// base is the request for a target, with the options every verb shares.
func (h *Handler) base(r *http.Request, verb string, t target, q url.Values) *apiwire.Request {
	req := h.request(verb)
	if user := r.Header.Get("Impersonate-User"); user != "" {
		req.Impersonate = &apiwire.Impersonation{User: user, Groups: r.Header.Values("Impersonate-Group")}
	}
	req.Resource, req.Namespace, req.Name, req.Subresource = t.resource, t.namespace, t.name, t.sub
	req.DryRun = q.Get("dryRun") == "All"
	req.FieldManager = q.Get("fieldManager")
	req.Force = isTrue(q.Get("force"))
	if req.FieldManager == "" && (verb == apiwire.VerbCreate || verb == apiwire.VerbUpdate) {
		// The writer's default name in managedFields is its own
		// User-Agent's (an apply must name one; patch decides below).
		req.FieldManager = fieldmanager.ManagerFromUserAgent(r.Header.Get("User-Agent"))
	}
	return req
}

func listOptions(req *apiwire.Request, q url.Values) {
	req.LabelSelector = q.Get("labelSelector")
	req.FieldSelector = q.Get("fieldSelector")
	req.ResourceVersion = q.Get("resourceVersion")
	if n, err := strconv.ParseInt(q.Get("limit"), 10, 64); err == nil {
		req.Limit = n
	}
	req.AllowWatchBookmarks = isTrue(q.Get("allowWatchBookmarks"))
	req.SendInitialEvents = isTrue(q.Get("sendInitialEvents"))
	req.ResourceVersionMatch = q.Get("resourceVersionMatch")
	req.Continue = q.Get("continue")
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request, t target) {
	q := r.URL.Query()
	req := h.base(r, apiwire.VerbList, t, q)
	listOptions(req, q)
	res, err := h.cfg.Backend.Do(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	addWarnings(w, res.Warnings)
	if wantsTable(r) {
		tbl := h.table(r, t, res.Items, res.ResourceVersion, true)
		tbl.Metadata.Continue, tbl.Metadata.RemainingItemCount = res.Continue, res.RemainingItemCount
		writeJSON(w, http.StatusOK, tbl)
		return
	}
	list := t.info.NewList()
	if err := api.SetListItems(list, res.Items); err != nil {
		writeError(w, apierrors.NewInternalError(err))
		return
	}
	lm := list.GetListMeta()
	lm.ResourceVersion, lm.Continue, lm.RemainingItemCount = res.ResourceVersion, res.Continue, res.RemainingItemCount
	h.writeEncoded(w, r, http.StatusOK, list)
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request, t target) {
	q := r.URL.Query()
	req := h.base(r, apiwire.VerbGet, t, q)
	req.ResourceVersion = q.Get("resourceVersion")
	res, err := h.cfg.Backend.Do(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	h.writeObject(w, r, t, res)
}

// writeObject answers with the object of a response, or its one-row Table.
func (h *Handler) writeObject(w http.ResponseWriter, r *http.Request, t target, res *apiwire.Response) {
	addWarnings(w, res.Warnings)
	code := res.Code
	if code == 0 {
		code = http.StatusOK
	}
	if t.sub == "scale" && t.crd != nil {
		if s, ok := customScaleOf(t.crd, res.Object); ok {
			h.writeEncoded(w, r, code, s)
			return
		}
	}
	if t.sub == "scale" {
		if s, ok := scaleOf(res.Object); ok {
			h.writeEncoded(w, r, code, s)
			return
		}
	}
	if wantsTable(r) && t.info != nil && t.sub == "" {
		writeJSON(w, code, h.table(r, t, []api.Object{res.Object}, res.Object.GetObjectMeta().ResourceVersion, true))
		return
	}
	h.writeEncoded(w, r, code, res.Object)
}

// writeEncoded answers with an object or list, in protobuf when the client
// prefers it and the kind has a protobuf form, in JSON otherwise.
func (h *Handler) writeEncoded(w http.ResponseWriter, r *http.Request, code int, obj any) {
	b, err := api.ToJSON(obj)
	if err != nil {
		writeError(w, apierrors.NewInternalError(err))
		return
	}
	if wantsProtobuf(r) {
		if pb, ok := toProtobuf(b); ok {
			writeBody(w, code, contentProtobuf, pb)
			return
		}
	}
	writeBody(w, code, contentJSON, b)
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request, t target) {
	q := r.URL.Query()
	req := h.base(r, apiwire.VerbCreate, t, q)
	if t.info != nil {
		kind := t.info
		if t.sub != "" {
			kind = nil // a subresource body (Binding) names its own kind
		}
		obj, warnings, err := decodeBody(r, kind, t, q.Get("fieldValidation"))
		if err != nil {
			writeError(w, err)
			return
		}
		addWarnings(w, warnings)
		req.Object = obj
	}
	res, err := h.cfg.Backend.Do(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	h.writeObject(w, r, t, res)
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request, t target) {
	q := r.URL.Query()
	req := h.base(r, apiwire.VerbUpdate, t, q)
	if t.info != nil {
		kind := t.info
		if t.sub == "scale" {
			kind = nil // an autoscaling/v1 Scale
		}
		obj, warnings, err := decodeBody(r, kind, t, q.Get("fieldValidation"))
		if err != nil {
			writeError(w, err)
			return
		}
		addWarnings(w, warnings)
		req.Object = obj
	}
	res, err := h.cfg.Backend.Do(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	h.writeObject(w, r, t, res)
}

// patchTypes are the patch media types kube-apiserver accepts for built-in
// kinds, in the order its 415 message lists them.
var patchTypes = []string{string(apiwire.JSONPatch), string(apiwire.MergePatch), string(apiwire.StrategicMergePatch), string(apiwire.ApplyPatch)}

func (h *Handler) patch(w http.ResponseWriter, r *http.Request, t target) {
	q := r.URL.Query()
	req := h.base(r, apiwire.VerbPatch, t, q)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	known := false
	for _, pt := range patchTypes {
		known = known || pt == ct
	}
	if t.crd != nil && ct == string(apiwire.StrategicMergePatch) {
		// Custom resources have no patch strategy: no strategic merge.
		known = false
	}
	if !known {
		accepted := patchTypes
		if t.crd != nil {
			accepted = []string{string(apiwire.JSONPatch), string(apiwire.MergePatch), string(apiwire.ApplyPatch)}
		}
		writeError(w, apierrors.NewUnsupportedMediaType(ct, accepted))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, tooLarge(err))
		return
	}
	req.Patch, req.PatchType = body, apiwire.PatchType(ct)
	if req.FieldManager == "" && req.PatchType != apiwire.ApplyPatch {
		req.FieldManager = fieldmanager.ManagerFromUserAgent(r.Header.Get("User-Agent"))
	}
	if req.PatchType == apiwire.ApplyPatch {
		var doc any
		if err := yaml.Unmarshal(body, &doc); err != nil {
			writeError(w, apierrors.NewBadRequest(fmt.Sprintf("error decoding YAML: %v", err)))
			return
		}
		if req.Patch, err = json.Marshal(doc); err != nil {
			writeError(w, apierrors.NewBadRequest(fmt.Sprintf("error decoding YAML: %v", err)))
			return
		}
	}
	if t.info != nil && t.crd == nil && (req.PatchType == apiwire.MergePatch || req.PatchType == apiwire.StrategicMergePatch || req.PatchType == apiwire.ApplyPatch) {
		patch, warnings, err := checkPatchFields(req.Patch, t.info, q.Get("fieldValidation"))
		if err != nil {
			writeError(w, err)
			return
		}
		addWarnings(w, warnings)
		req.Patch = patch
	}
	res, err := h.cfg.Backend.Do(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	h.writeObject(w, r, t, res)
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request, t target) {
	q := r.URL.Query()
	verb := apiwire.VerbDelete
	if t.name == "" {
		verb = apiwire.VerbDeleteCollection
	}
	req := h.base(r, verb, t, q)
	listOptions(req, q)
	req.ResourceVersion = ""
	var opts api.DeleteOptions
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, tooLarge(err))
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == contentProtobuf && len(body) > 0 {
		if body, err = protobufToJSON(body, nil); err != nil {
			writeError(w, apierrors.NewBadRequest(err.Error()))
			return
		}
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := api.DecodeJSONInto(body, &opts); err != nil {
			writeError(w, apierrors.NewBadRequest(err.Error()))
			return
		}
	}
	if opts.PropagationPolicy != nil {
		req.PropagationPolicy = *opts.PropagationPolicy
	}
	if p := q.Get("propagationPolicy"); p != "" {
		req.PropagationPolicy = p
	}
	if isTrue(q.Get("orphanDependents")) && req.PropagationPolicy == "" {
		req.PropagationPolicy = apiwire.PropagationOrphan
	}
	req.GracePeriodSeconds = opts.GracePeriodSeconds
	if g := q.Get("gracePeriodSeconds"); g != "" {
		n, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			writeError(w, apierrors.NewBadRequest(fmt.Sprintf("invalid gracePeriodSeconds %q", g)))
			return
		}
		req.GracePeriodSeconds = &n
	}
	for _, d := range opts.DryRun {
		req.DryRun = req.DryRun || d == "All"
	}
	res, err := h.cfg.Backend.Do(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	if verb == apiwire.VerbDeleteCollection {
		list := t.info.NewList()
		if err := api.SetListItems(list, res.Items); err != nil {
			writeError(w, apierrors.NewInternalError(err))
			return
		}
		h.writeEncoded(w, r, http.StatusOK, list)
		return
	}
	m := res.Object.GetObjectMeta()
	if t.info.Resource == "pods" || m.DeletionTimestamp != nil {
		// Pods are deleted gracefully, and objects held by finalizers
		// stay: the answer is the object as it now is.
		h.writeObject(w, r, t, res)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Success",
		"details": map[string]any{"name": m.Name, "group": t.info.Group, "kind": t.info.Resource, "uid": m.UID}})
}

func tooLarge(err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return &apierrors.StatusError{ErrStatus: apierrors.Status{Kind: "Status", APIVersion: "v1", Status: "Failure", Message: "Request entity too large: limit is 3145728", Reason: "RequestEntityTooLarge", Code: http.StatusRequestEntityTooLarge}}
	}
	return apierrors.NewBadRequest(err.Error())
}

// bodyTypes are the media types a create or update body may have, as the
// apiserver's 415 message lists them.
var bodyTypes = []string{"application/json", "application/yaml", "application/vnd.kubernetes.protobuf"}

// decodeBody reads and decodes a create or update body as the apiserver's
// handler does, with its error texts:
//
//   - unparseable JSON: `the object provided is unrecognized (Pod: {bad): couldn't get version/kind; json parse error: ...`
//   - an unknown kind: `Foo in version "v1" cannot be handled as a Pod: no kind "Foo" is registered for version "v1" in scheme ...`
//   - fieldValidation=Strict and an unknown field: `Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"`
//
// With Warn (the default) unknown fields are dropped and returned as
// warnings; with Ignore they are dropped silently. kind is the resource the
// body must be (nil for subresource bodies); into names the URL's kind in
// messages.
func decodeBody(r *http.Request, kind *api.ResourceInfo, t target, validation string) (api.Object, []string, error) {
	into := t.info
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" && ct != "application/yaml" && ct != contentProtobuf {
		return nil, nil, apierrors.NewUnsupportedMediaType(ct, bodyTypes)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, nil, apierrors.NewBadRequest(err.Error())
	}
	if len(body) > maxBodyBytes {
		return nil, nil, tooLarge(&http.MaxBytesError{Limit: maxBodyBytes})
	}
	if ct == contentProtobuf {
		if body, err = protobufToJSON(body, into); err != nil {
			return nil, nil, apierrors.NewBadRequest(err.Error())
		}
	}
	if ct == "application/yaml" {
		var doc any
		if err := yaml.Unmarshal(body, &doc); err != nil {
			return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("the object provided is unrecognized (%s: %s): couldn't get version/kind; yaml parse error: %v", into.Kind, summarize(body), err))
		}
		if body, err = json.Marshal(doc); err != nil {
			return nil, nil, apierrors.NewBadRequest(err.Error())
		}
	}
	if t.crd != nil && kind != nil {
		return decodeCustom(body, t, validation)
	}
	var head struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("the object provided is unrecognized (%s: %s): couldn't get version/kind; json parse error: %v", into.Kind, summarize(body), err))
	}
	gv := api.ParseGroupVersion(head.APIVersion)
	cannot := func(err error) error {
		k, v := head.Kind, gv.Version
		if k == "" {
			k, v = into.Kind, into.Version
		}
		return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v", k, v, into.Kind, err))
	}
	if head.Kind != "" {
		if _, ok := api.ResourceForAPIVersionKind(head.APIVersion, head.Kind); !ok && kind != nil {
			return nil, nil, cannot(fmt.Errorf("no kind %q is registered for version %q in scheme \"pkg/api/legacyscheme/scheme.go:30\"", head.Kind, head.APIVersion))
		}
	}
	strict := validation == "Strict"
	obj, warnings, err := api.DecodeJSONWithOptions(body, api.DecodeOptions{Lenient: !strict || ct == contentProtobuf, Default: kind})
	if err != nil {
		return nil, nil, cannot(err)
	}
	if ct == contentProtobuf {
		warnings = dropEmptyUnknown(body, warnings)
		if strict && len(warnings) > 0 {
			return nil, nil, cannot(fmt.Errorf("strict decoding error: %s", strings.Join(warnings, ", ")))
		}
	}
	if validation == "Ignore" {
		warnings = nil
	}
	return obj, warnings, nil
}

// summarize is the start of a body as the apiserver quotes it in errors.
func summarize(b []byte) string {
	switch {
	case len(b) == 0:
		return "<empty>"
	case len(b) > 30:
		return string(b[:30]) + " ..."
	}
	return string(b)
}

// checkPatchFields applies fieldValidation to a merge or strategic merge
// patch: it decodes the patch (directives and nulls aside) as the kind, so
// unknown fields fail with Strict, or are removed from the patch and
// reported (Warn) or removed silently (Ignore).
func checkPatchFields(patch []byte, info *api.ResourceInfo, validation string) ([]byte, []string, error) {
	var doc any
	if err := json.Unmarshal(patch, &doc); err != nil {
		return patch, nil, nil // the apiserver reports it
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return patch, nil, nil
	}
	probe := withoutDirectives(m).(map[string]any)
	probe["kind"], probe["apiVersion"] = info.Kind, info.APIVersion()
	pb, _ := json.Marshal(probe)
	_, unknown, err := api.DecodeJSONWithOptions(pb, api.DecodeOptions{Lenient: true, Default: info})
	if err != nil || len(unknown) == 0 {
		return patch, nil, nil // type errors surface when the apiserver applies it
	}
	if validation == "Strict" {
		return nil, nil, apierrors.NewBadRequest("strict decoding error: " + strings.Join(unknown, ", "))
	}
	for _, u := range unknown {
		if path, ok := strings.CutPrefix(u, `unknown field "`); ok {
			removePath(m, strings.TrimSuffix(path, `"`))
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, nil, apierrors.NewInternalError(err)
	}
	if validation == "Ignore" {
		unknown = nil
	}
	return out, unknown, nil
}

// withoutDirectives copies a patch without strategic merge directives
// ($patch, $setElementOrder/..., $retainKeys, $deleteFromPrimitiveList/...)
// and without nulls (deletions), keeping list positions.
func withoutDirectives(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if strings.HasPrefix(k, "$") || e == nil {
				continue
			}
			out[k] = withoutDirectives(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withoutDirectives(e)
		}
		return out
	}
	return v
}

// removePath deletes a field named by a decoder path such as
// "spec.containers[0].foo".
func removePath(doc map[string]any, path string) {
	var cur any = doc
	segs := strings.Split(path, ".")
	for i, seg := range segs {
		name, idx := seg, -1
		if j := strings.IndexByte(seg, '['); j >= 0 && strings.HasSuffix(seg, "]") {
			name = seg[:j]
			n, err := strconv.Atoi(seg[j+1 : len(seg)-1])
			if err != nil {
				return
			}
			idx = n
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return
		}
		if i == len(segs)-1 && idx < 0 {
			delete(m, name)
			return
		}
		cur = m[name]
		if idx >= 0 {
			l, ok := cur.([]any)
			if !ok || idx >= len(l) {
				return
			}
			cur = l[idx]
		}
	}
}
