package nodeshell

import (
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/sim/cluster"
)

// ConfigMaps and Secrets in a container: env valueFrom configMapKeyRef and
// secretKeyRef, envFrom (with its prefix; keys that are not valid
// environment variable names are skipped, as the kubelet does), and the
// configMap, secret and projected volumes a container mounts, one file per
// key (or per item, at its path). Secret values appear decoded, as the
// kubelet writes them.
//
// What the container sees is what its kubelet gave it
// (kubelet.MountedConfig): env and envFrom as they were when the
// container was created (a change to the ConfigMap shows in printenv only
// after a restart), configMap and secret volumes as the kubelet's last
// resync wrote them (within --sync-frequency, 1m, of a change), and a
// subPath mount as it was when the container started (never refreshed).
// When the kubelet has no record of the container, the shell reads the
// objects as they are now.
//
// Simplifications: files are plain files, without the ..data symlink
// layout; defaultMode and mode are not applied.

// envVarName is the kubelet's test of an environment variable's name.
var envVarName = regexp.MustCompile(`^[-._a-zA-Z][-._a-zA-Z0-9]*$`)

// configSource says which of the kubelet's views a read uses.
type configSource int

const (
	atStart  configSource = iota // env, envFrom, subPath: as at the container's creation
	inVolume                     // a mounted volume: as at the kubelet's last resync
)

// configFor is a ConfigMap's or Secret's data as the container sees it
// through src, false when it does not exist there.
func (b *box) configFor(c *cluster.Cluster, src configSource, name string, secret bool) (map[string]string, bool) {
	if mc, ok := c.MountedConfig(b.pod.Namespace, b.pod.Name, b.ctr.Name); ok {
		view := mc.Started
		if src == inVolume {
			view = mc.Volumes
		}
		data, ok := view[kubelet.ConfigKey(secret, name)]
		return data, ok
	}
	return configData(c, b.pod.Namespace, name, secret)
}

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
			data, _ = b.configFor(c, atStart, src.ConfigMapRef.Name, false)
		case src.SecretRef != nil:
			data, _ = b.configFor(c, atStart, src.SecretRef.Name, true)
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
		data, _ = b.configFor(c, atStart, src.ConfigMapKeyRef.Name, false)
		key = src.ConfigMapKeyRef.Key
	case src.SecretKeyRef != nil:
		data, _ = b.configFor(c, atStart, src.SecretKeyRef.Name, true)
		key = src.SecretKeyRef.Key
	default:
		return "", false
	}
	v, ok := data[key]
	return v, ok
}

// mountConfig writes the files of the configMap, secret and projected
// volumes the container mounts: a whole volume as the kubelet's last
// resync wrote it, a subPath mount (one file of the volume) as it was when
// the container started.
func (b *box) mountConfig(c *cluster.Cluster) {
	vols := map[string]api.VolumeSource{}
	for _, v := range b.pod.Spec.Volumes {
		vols[v.Name] = v.VolumeSource
	}
	// files is what one source puts in the volume: path -> content.
	files := func(src configSource, name string, secret bool, items []api.KeyToPath, out map[string]string) {
		data, ok := b.configFor(c, src, name, secret)
		if !ok {
			return
		}
		if len(items) == 0 {
			for _, k := range sortedKeys(data) {
				items = append(items, api.KeyToPath{Key: k, Path: k})
			}
		}
		for _, it := range items {
			if v, ok := data[it.Key]; ok {
				out[it.Path] = v
			}
		}
	}
	volumeFiles := func(src configSource, vs api.VolumeSource) (map[string]string, bool) {
		out := map[string]string{}
		switch {
		case vs.ConfigMap != nil:
			files(src, vs.ConfigMap.Name, false, vs.ConfigMap.Items, out)
		case vs.Secret != nil:
			files(src, vs.Secret.SecretName, true, vs.Secret.Items, out)
		case vs.Projected != nil:
			for _, p := range vs.Projected.Sources {
				switch {
				case p.ConfigMap != nil:
					files(src, p.ConfigMap.Name, false, p.ConfigMap.Items, out)
				case p.Secret != nil:
					files(src, p.Secret.Name, true, p.Secret.Items, out)
				}
			}
		default:
			return nil, false
		}
		return out, true
	}
	mounts := append([]api.VolumeMount(nil), b.ctr.VolumeMounts...)
	sort.SliceStable(mounts, func(i, j int) bool { return mounts[i].MountPath < mounts[j].MountPath })
	for _, m := range mounts {
		vs, ok := vols[m.Name]
		if !ok {
			continue
		}
		if m.SubPath != "" {
			fs, ok := volumeFiles(atStart, vs)
			if v, found := fs[m.SubPath]; ok && found {
				b.fs.MkdirAll(path.Dir(m.MountPath))
				b.fs.WriteFile(m.MountPath, []byte(v), 0o644)
			}
			continue
		}
		fs, ok := volumeFiles(inVolume, vs)
		if !ok {
			continue
		}
		b.fs.MkdirAll(m.MountPath)
		for _, p := range sortedKeys(fs) {
			full := path.Join(m.MountPath, p)
			b.fs.MkdirAll(path.Dir(full))
			b.fs.WriteFile(full, []byte(fs[p]), 0o644)
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
