package kubelet

import (
	"fmt"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
)

// containerConfigError is why the kubelet cannot make a container's
// config: a ConfigMap or Secret (or a key of one) that an env valueFrom or
// envFrom needs and that is not optional is missing. The texts are the
// kubelet's. "" when the config can be made.
//
// Simplification: the kubelet reads the objects from the apiserver when it
// creates the container (the real one watches them through its
// ConfigMap and Secret managers).
func (st *state) containerConfigError(ns string, ctr *api.Container) string {
	opt := func(b *bool) bool { return b != nil && *b }
	configMap := func(name string) (map[string]string, string) {
		cm, err := client.Get[*api.ConfigMap](st.cl, ns, name)
		if err != nil {
			return nil, fmt.Sprintf("configmap %q not found", name)
		}
		return cm.Data, ""
	}
	secret := func(name string) (map[string][]byte, string) {
		s, err := client.Get[*api.Secret](st.cl, ns, name)
		if err != nil {
			return nil, fmt.Sprintf("secret %q not found", name)
		}
		data := map[string][]byte{}
		for k, v := range s.StringData {
			data[k] = []byte(v)
		}
		for k, v := range s.Data {
			data[k] = v
		}
		return data, ""
	}
	for _, src := range ctr.EnvFrom {
		switch {
		case src.ConfigMapRef != nil && !opt(src.ConfigMapRef.Optional):
			if _, msg := configMap(src.ConfigMapRef.Name); msg != "" {
				return msg
			}
		case src.SecretRef != nil && !opt(src.SecretRef.Optional):
			if _, msg := secret(src.SecretRef.Name); msg != "" {
				return msg
			}
		}
	}
	for _, e := range ctr.Env {
		if e.ValueFrom == nil {
			continue
		}
		if r := e.ValueFrom.ConfigMapKeyRef; r != nil && !opt(r.Optional) {
			data, msg := configMap(r.Name)
			if msg != "" {
				return msg
			}
			if _, ok := data[r.Key]; !ok {
				return fmt.Sprintf("couldn't find key %s in ConfigMap %s/%s", r.Key, ns, r.Name)
			}
		}
		if r := e.ValueFrom.SecretKeyRef; r != nil && !opt(r.Optional) {
			data, msg := secret(r.Name)
			if msg != "" {
				return msg
			}
			if _, ok := data[r.Key]; !ok {
				return fmt.Sprintf("couldn't find key %s in Secret %s/%s", r.Key, ns, r.Name)
			}
		}
	}
	return ""
}
