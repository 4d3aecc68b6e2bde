package frontend

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiwire"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
)

// Protobuf is how client-go talks to kube-apiserver by default about the
// built-in kinds: `Content-Type: application/vnd.kubernetes.protobuf`, a
// body of the four bytes "k8s\x00" and a runtime.Unknown message (the
// kind's apiVersion and kind, then the object's own protobuf message).
//
// The simulation keeps its own objects; only here, at the HTTP edge, the
// generated types of k8s.io/api translate between the wire and kubesim's
// JSON: a protobuf body is decoded into the k8s.io/api type and re-encoded
// as JSON for the ordinary decoder, an answer goes the other way. Kinds
// that k8s.io/api does not define (Cilium's, served as custom resources)
// have no protobuf form, as with the real apiserver: they are answered as
// JSON, which client-go accepts.

const (
	contentProtobuf = "application/vnd.kubernetes.protobuf"
	// contentProtobufWatch is a protobuf watch stream: each event a
	// metav1.WatchEvent preceded by its length as four big-endian bytes.
	contentProtobufWatch = "application/vnd.kubernetes.protobuf;stream=watch"
)

var (
	wireScheme = func() *runtime.Scheme {
		s := runtime.NewScheme()
		for _, add := range []func(*runtime.Scheme) error{
			corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, coordinationv1.AddToScheme, discoveryv1.AddToScheme,
			networkingv1.AddToScheme, rbacv1.AddToScheme, autoscalingv1.AddToScheme, autoscalingv2.AddToScheme, policyv1.AddToScheme,
			authorizationv1.AddToScheme, authenticationv1.AddToScheme,
			schedulingv1.AddToScheme,
			storagev1.AddToScheme,
		} {
			if err := add(s); err != nil {
				panic(err) // the generated registrations cannot fail
			}
		}
		metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
		return s
	}()
	protoSerializer = protobuf.NewSerializer(wireScheme, wireScheme)
)

// wantsProtobuf reports whether the client prefers protobuf: client-go
// sends `Accept: application/vnd.kubernetes.protobuf, application/json`.
func wantsProtobuf(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.TrimSpace(mt) {
		case contentProtobuf:
			return true
		case "application/json", "application/yaml", "*/*":
			return false
		}
	}
	return false
}

// wireObject converts kubesim's JSON of an object into the k8s.io/api type
// of its kind; false when k8s.io/api has no such kind.
func wireObject(jsonBody []byte) (runtime.Object, bool) {
	var head struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(jsonBody, &head); err != nil || head.Kind == "" {
		return nil, false
	}
	gv, err := schema.ParseGroupVersion(head.APIVersion)
	if err != nil {
		return nil, false
	}
	obj, err := wireScheme.New(gv.WithKind(head.Kind))
	if err != nil {
		return nil, false
	}
	if err := json.Unmarshal(jsonBody, obj); err != nil {
		return nil, false
	}
	obj.GetObjectKind().SetGroupVersionKind(gv.WithKind(head.Kind))
	return obj, true
}

// toProtobuf encodes kubesim's JSON of an object in the protobuf envelope.
func toProtobuf(jsonBody []byte) ([]byte, bool) {
	obj, ok := wireObject(jsonBody)
	if !ok {
		return nil, false
	}
	var buf bytes.Buffer
	if err := protoSerializer.EncodeWithAllocator(obj, &buf, &runtime.SimpleAllocator{}); err != nil {
		return nil, false
	}
	return buf.Bytes(), true
}

// protobufToJSON decodes a protobuf request body into the JSON kubesim's
// decoder reads. Protobuf cannot tell an empty field from an absent one,
// so the JSON of the generated type carries empty values (`"resources":{}`,
// `"creationTimestamp":null`) the client never set; nulls are dropped here,
// and empty values of fields kubesim does not model are dropped by
// dropEmptyUnknown after decoding.
func protobufToJSON(body []byte, into *api.ResourceInfo) ([]byte, error) {
	obj, gvk, err := protoSerializer.Decode(body, nil, nil)
	if err == nil && gvk != nil {
		obj.GetObjectKind().SetGroupVersionKind(*gvk)
	}
	if err != nil {
		kind := "object"
		if into != nil {
			kind = into.Kind
		}
		return nil, fmt.Errorf("the object provided is unrecognized (%s): %v", kind, err)
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	return json.Marshal(api.DropNulls(doc))
}

// dropEmptyUnknown removes, from the unknown-field warnings of a decoded
// protobuf body, the fields whose value is empty: protobuf sent them only
// because it has no "absent".
func dropEmptyUnknown(doc []byte, unknown []string) []string {
	var m map[string]any
	if json.Unmarshal(doc, &m) != nil {
		return unknown
	}
	var out []string
	for _, u := range unknown {
		path, ok := strings.CutPrefix(u, `unknown field "`)
		if ok && isEmptyValue(lookupPath(m, strings.TrimSuffix(path, `"`))) {
			continue
		}
		out = append(out, u)
	}
	return out
}

func isEmptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		for _, e := range x {
			if !isEmptyValue(e) {
				return false
			}
		}
		return true
	case []any:
		return len(x) == 0
	case string:
		return x == ""
	case bool:
		return !x
	case float64:
		return x == 0
	}
	return false
}

// lookupPath finds the value a decoder path such as
// "spec.containers[0].foo" names.
func lookupPath(doc map[string]any, path string) any {
	var cur any = doc
	for _, seg := range strings.Split(path, ".") {
		name, idx := seg, -1
		if j := strings.IndexByte(seg, '['); j >= 0 && strings.HasSuffix(seg, "]") {
			name = seg[:j]
			fmt.Sscanf(seg[j+1:len(seg)-1], "%d", &idx)
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[name]
		if idx >= 0 {
			l, ok := cur.([]any)
			if !ok || idx >= len(l) {
				return nil
			}
			cur = l[idx]
		}
	}
	return cur
}

// protobufWatchEvent frames one watch event of a protobuf watch stream.
func protobufWatchEvent(typ apiwire.EventType, objJSON []byte) ([]byte, bool) {
	raw, ok := toProtobuf(objJSON)
	if !ok {
		return nil, false
	}
	ev := metav1.WatchEvent{Type: string(typ), Object: runtime.RawExtension{Raw: raw}}
	b, err := ev.Marshal()
	if err != nil {
		return nil, false
	}
	out := make([]byte, 4, 4+len(b))
	binary.BigEndian.PutUint32(out, uint32(len(b)))
	return append(out, b...), true
}

// hasProtobuf reports whether a kind has a protobuf form.
func hasProtobuf(gvk api.GroupVersionKind) bool {
	return wireScheme.Recognizes(schema.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind})
}
