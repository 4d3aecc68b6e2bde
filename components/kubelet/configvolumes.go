package kubelet

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
)

// ConfigMaps and Secrets in a running pod, as the kubelet provides them:
//
//   - env valueFrom and envFrom are resolved when the container is
//     created: the container keeps that environment until it restarts,
//     whatever later happens to the ConfigMap;
//   - a configMap or secret volume (and the user's sources of a projected
//     one) is written when the pod's first container is created and
//     rewritten on every resync of the pod, every SyncFrequency
//     (--sync-frequency, 1m): a change shows in the mounted files within
//     about a minute;
//   - a subPath mount of such a volume is a bind mount of one file made
//     when the container starts, so it never sees a change.
//
// Simplifications: the real kubelet reads the objects through a
// watch-based cache (configMapAndSecretChangeDetectionStrategy: Watch),
// so its delay is the sync period plus the watch's propagation; kubesim
// reads them from the apiserver at each resync, so the delay is at most
// SyncFrequency. The resync is jittered in the real kubelet and not here.
// A missing volume source does not hold the pod in ContainerCreating
// (kubesim has no FailedMount); its files are simply absent.

// ConfigKey names a ConfigMap ("configmap/<name>") or Secret
// ("secret/<name>") in a ConfigSnapshot.
func ConfigKey(secret bool, name string) string {
	if secret {
		return "secret/" + name
	}
	return "configmap/" + name
}

// configSnapshot is ConfigMaps' and Secrets' data by ConfigKey; an object
// that did not exist is absent. Secret values are decoded.
type configSnapshot map[string]map[string]string

type configRef struct {
	secret bool
	name   string
}

// containerConfigRefs is what a container reads when it is created: its
// env and envFrom sources and the volumes it mounts with a subPath.
func containerConfigRefs(pod *api.PodSpec, c *api.Container) []configRef {
	var refs []configRef
	add := func(secret bool, name string) {
		r := configRef{secret, name}
		if name != "" && !slices.Contains(refs, r) {
			refs = append(refs, r)
		}
	}
	for _, src := range c.EnvFrom {
		if src.ConfigMapRef != nil {
			add(false, src.ConfigMapRef.Name)
		}
		if src.SecretRef != nil {
			add(true, src.SecretRef.Name)
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			continue
		}
		if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
			add(false, r.Name)
		}
		if r := e.ValueFrom.SecretKeyRef; r != nil {
			add(true, r.Name)
		}
	}
	for _, m := range c.VolumeMounts {
		if m.SubPath == "" {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name == m.Name {
				for _, r := range volumeConfigRefs(v) {
					add(r.secret, r.name)
				}
			}
		}
	}
	return refs
}

// volumeConfigRefs is the ConfigMaps and Secrets a volume projects (not
// the ServiceAccount admission's kube-api-access volume, which the
// kubelet manages as a token).
func volumeConfigRefs(v api.Volume) []configRef {
	switch {
	case v.ConfigMap != nil:
		return []configRef{{false, v.ConfigMap.Name}}
	case v.Secret != nil:
		return []configRef{{true, v.Secret.SecretName}}
	case v.Projected != nil && !strings.HasPrefix(v.Name, "kube-api-access-"):
		var refs []configRef
		for _, p := range v.Projected.Sources {
			if p.ConfigMap != nil {
				refs = append(refs, configRef{false, p.ConfigMap.Name})
			}
			if p.Secret != nil {
				refs = append(refs, configRef{true, p.Secret.Name})
			}
		}
		return refs
	}
	return nil
}

func podVolumeRefs(pod *api.PodSpec) []configRef {
	var refs []configRef
	for _, v := range pod.Volumes {
		for _, r := range volumeConfigRefs(v) {
			if !slices.Contains(refs, r) {
				refs = append(refs, r)
			}
		}
	}
	return refs
}

// readConfig reads the objects from the apiserver.
func (st *state) readConfig(ns string, refs []configRef) configSnapshot {
	if len(refs) == 0 {
		return nil
	}
	snap := configSnapshot{}
	for _, r := range refs {
		data := map[string]string{}
		if r.secret {
			s, err := client.Get[*api.Secret](st.cl, ns, r.name)
			if err != nil {
				continue
			}
			for k, v := range s.StringData {
				data[k] = v
			}
			for k, v := range s.Data {
				data[k] = string(v)
			}
		} else {
			cm, err := client.Get[*api.ConfigMap](st.cl, ns, r.name)
			if err != nil {
				continue
			}
			for k, v := range cm.BinaryData {
				data[k] = string(v)
			}
			for k, v := range cm.Data {
				data[k] = v
			}
		}
		snap[ConfigKey(r.secret, r.name)] = data
	}
	return snap
}

// mountConfigVolumes writes the pod's configMap and secret volumes the
// first time one of its containers is created, and starts the resync that
// refreshes them.
func (st *state) mountConfigVolumes(pw *podWorker) {
	if pw.volumesSynced {
		return
	}
	pw.volumesSynced = true
	refs := podVolumeRefs(&pw.pod.Spec)
	if len(refs) == 0 {
		return
	}
	pw.volumes = st.readConfig(pw.ns, refs)
	st.timer(pw, st.cfg.SyncFrequency, kindPodSync, podTimer{what: "volume refresh"})
}

// refreshConfigVolumes is the periodic resync's part for volumes: it
// rewrites the files of every volume whose source changed, and notes it.
func (st *state) refreshConfigVolumes(pw *podWorker) {
	if pw.terminating || pw.terminal != "" {
		return
	}
	refs := podVolumeRefs(&pw.pod.Spec)
	fresh := st.readConfig(pw.ns, refs)
	for _, r := range refs {
		key := ConfigKey(r.secret, r.name)
		was, hadIt := pw.volumes[key]
		now, hasIt := fresh[key]
		if hadIt == hasIt && maps.Equal(was, now) {
			continue
		}
		kind := "ConfigMap"
		if r.secret {
			kind = "Secret"
		}
		st.c.Note(NoteConfigVolume, ConfigVolumeNote{Pod: pw.key, Kind: kind, Name: r.name, Keys: changedKeys(was, now),
			Gone: hadIt && !hasIt, Appeared: !hadIt && hasIt, Volumes: volumesOf(&pw.pod.Spec, r)})
	}
	pw.volumes = fresh
	st.timer(pw, st.cfg.SyncFrequency, kindPodSync, podTimer{what: "volume refresh"})
}

func changedKeys(a, b map[string]string) []string {
	var keys []string
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			keys = append(keys, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func volumesOf(pod *api.PodSpec, r configRef) []string {
	var names []string
	for _, v := range pod.Volumes {
		if slices.Contains(volumeConfigRefs(v), r) {
			names = append(names, v.Name)
		}
	}
	return names
}

// NoteConfigVolume is the kind of a ConfigVolumeNote.
const NoteConfigVolume = "config-volume"

// ConfigVolumeNote says the kubelet's resync rewrote the files of a
// pod's volumes because their ConfigMap or Secret changed.
type ConfigVolumeNote struct {
	Pod        string // ns/name
	Kind, Name string // ConfigMap or Secret, and its name
	// Keys are the keys whose value changed, appeared or went.
	Keys []string
	// Gone: the object was deleted; Appeared: it exists now.
	Gone, Appeared bool
	// Volumes are the pod's volumes that project it.
	Volumes []string
}

// Summary implements sim.Summarizer.
func (n ConfigVolumeNote) Summary() string {
	return fmt.Sprintf("resync of %s: %s %s changed (%s), volume %s rewritten", n.Pod, n.Kind, n.Name, strings.Join(n.Keys, ", "), strings.Join(n.Volumes, ", "))
}

// MountedConfig is what a container sees of ConfigMaps and Secrets.
type MountedConfig struct {
	// Started is what its env, envFrom and subPath mounts read when it
	// was created; Volumes what the pod's configMap and secret volumes
	// hold now. Both by ConfigKey; an object that did not exist is absent.
	Started, Volumes map[string]map[string]string
}

// MountedConfig returns the ConfigMap and Secret data a running
// container sees, read out of band (between kernel steps); false when the
// kubelet has no such running container.
func (kl *Kubelet) MountedConfig(namespace, pod, container string) (MountedConfig, bool) {
	pw := kl.m.pods[namespace+"/"+pod]
	if pw == nil || pw.gone {
		return MountedConfig{}, false
	}
	c := pw.container(container)
	if c == nil || c.cur == nil || c.cur.finished {
		return MountedConfig{}, false
	}
	return MountedConfig{Started: c.cur.config, Volumes: pw.volumes}, true
}
