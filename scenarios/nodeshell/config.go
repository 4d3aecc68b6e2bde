package nodeshell

import (
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim/cluster"
)

// ConfigMaps and Secrets in a container: env valueFrom configMapKeyRef and
// secretKeyRef, envFrom (with its prefix; keys that are not valid
// environment variable names are skipped, as the kubelet does), and the
// configMap, secret and projected volumes a container mounts, one file per
// key (or per item, at its path). Secret values appear decoded, as the
// kubelet writes them.
//
// Simplifications: the shell reads the ConfigMaps and Secrets as they are
// at the time of the exec, so a change shows at once in a mounted file
// (the real kubelet takes up to its sync period plus its cache TTL) and
// also in env (a real container keeps the environment it started with
// until it restarts); files are plain files, without the ..data symlink
// layout; defaultMode and mode are not applied.

// envVarName is the kubelet's test of an environment variable's name.
var envVarName = regexp.MustCompile(`^[-._a-zA-Z][-._a-zA-Z0-9]*$`)

// configData is a ConfigMap's or Secret's keys and values, false when it
// does not exist.
func configData(c *cluster.Cluster, namespace, name string, secret bool) (map[string]string, bool) {
	out := map[string]string{}
	if secret {
		s, err := client.Get[*api.Secret](c.Admin, namespace, name)
		if err != nil {
			return nil, false
		}
		for k, v := range s.StringData {
			out[k] = v
		}
		for k, v := range s.Data {
			out[k] = string(v)
		}
		return out, true
	}
	cm, err := client.Get[*api.ConfigMap](c.Admin, namespace, name)
	if err != nil {
		return nil, false
	}
	for k, v := range cm.BinaryData {
		out[k] = string(v)
	}
	for k, v := range cm.Data {
		out[k] = v
	}
	return out, true
}

// envFromVars is the variables of a container's envFrom, in its order,
// each source's keys sorted.
func (b *box) envFromVars(c *cluster.Cluster) []string {
	var vars []string
	for _, src := range b.ctr.EnvFrom {
		var data map[string]string
		switch {
		case src.ConfigMapRef != nil:
			data, _ = configData(c, b.pod.Namespace, src.ConfigMapRef.Name, false)
		case src.SecretRef != nil:
			data, _ = configData(c, b.pod.Namespace, src.SecretRef.Name, true)
		}
		for _, k := range sortedKeys(data) {
			if name := src.Prefix + k; envVarName.MatchString(name) {
				vars = append(vars, name+"="+data[k])
			}
		}
	}
	return vars
}

// keyRefValue is the value of an env valueFrom configMapKeyRef or
// secretKeyRef, and whether it has one.
func (b *box) keyRefValue(c *cluster.Cluster, src *api.EnvVarSource) (string, bool) {
	var data map[string]string
	var key string
	switch {
	case src.ConfigMapKeyRef != nil:
		data, _ = configData(c, b.pod.Namespace, src.ConfigMapKeyRef.Name, false)
		key = src.ConfigMapKeyRef.Key
	case src.SecretKeyRef != nil:
		data, _ = configData(c, b.pod.Namespace, src.SecretKeyRef.Name, true)
		key = src.SecretKeyRef.Key
	default:
		return "", false
	}
	v, ok := data[key]
	return v, ok
}

// mountConfig writes the files of the configMap, secret and projected
// volumes the container mounts.
func (b *box) mountConfig(c *cluster.Cluster) {
	vols := map[string]api.VolumeSource{}
	for _, v := range b.pod.Spec.Volumes {
		vols[v.Name] = v.VolumeSource
	}
	project := func(dir, name string, secret bool, items []api.KeyToPath) {
		data, ok := configData(c, b.pod.Namespace, name, secret)
		if !ok {
			return
		}
		b.fs.MkdirAll(dir)
		if len(items) == 0 {
			for _, k := range sortedKeys(data) {
				items = append(items, api.KeyToPath{Key: k, Path: k})
			}
		}
		for _, it := range items {
			if v, ok := data[it.Key]; ok {
				p := path.Join(dir, it.Path)
				b.fs.MkdirAll(path.Dir(p))
				b.fs.WriteFile(p, []byte(v), 0o644)
			}
		}
	}
	mounts := append([]api.VolumeMount(nil), b.ctr.VolumeMounts...)
	sort.SliceStable(mounts, func(i, j int) bool { return mounts[i].MountPath < mounts[j].MountPath })
	for _, m := range mounts {
		src, ok := vols[m.Name]
		if !ok || m.SubPath != "" {
			continue
		}
		switch {
		case src.ConfigMap != nil:
			project(m.MountPath, src.ConfigMap.Name, false, src.ConfigMap.Items)
		case src.Secret != nil:
			project(m.MountPath, src.Secret.SecretName, true, src.Secret.Items)
		case src.Projected != nil:
			for _, p := range src.Projected.Sources {
				switch {
				case p.ConfigMap != nil:
					project(m.MountPath, p.ConfigMap.Name, false, p.ConfigMap.Items)
				case p.Secret != nil:
					project(m.MountPath, p.Secret.Name, true, p.Secret.Items)
				}
			}
		}
	}
}

// setEnv sets name in vars: an env entry overrides one of envFrom of the
// same name, as the kubelet's does.
func setEnv(vars []string, name, value string) []string {
	for i, kv := range vars {
		if k, _, _ := strings.Cut(kv, "="); k == name {
			vars[i] = name + "=" + value
			return vars
		}
	}
	return append(vars, name+"="+value)
}
