package nodeshell

import (
	"path"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim/cluster"
)

// A container's PersistentVolumeClaim volumes are the only part of its
// filesystem that lasts: for a claim bound to a hostPath or local volume
// (the local-path provisioner's kind), the files of that directory on the
// node's disk appear at the mount path, and what a command leaves there is
// written back to the node's disk, so that it survives the container, the
// pod and a new pod on the same claim (kept on the volume's node by its
// node affinity). Other volumes' files, and the rest of the container's
// filesystem, are made afresh for every exec.

// claimMount is one mounted claim: the container's mount path and the
// volume's directory on the node.
type claimMount struct {
	mountPath, hostPath string
	readOnly            bool
}

// mountClaims lays the claims' files out in the container.
func (b *box) mountClaims(c *cluster.Cluster) {
	node := c.NodeFS(b.pod.Spec.NodeName)
	if node == nil {
		return
	}
	for _, vm := range b.ctr.VolumeMounts {
		var src *api.PersistentVolumeClaimVolumeSource
		for _, v := range b.pod.Spec.Volumes {
			if v.Name == vm.Name {
				src = v.PersistentVolumeClaim
			}
		}
		if src == nil {
			continue
		}
		pvc, err := client.Get[*api.PersistentVolumeClaim](c.Admin, b.pod.Namespace, src.ClaimName)
		if err != nil || pvc.Spec.VolumeName == "" {
			continue
		}
		pv, err := client.Get[*api.PersistentVolume](c.Admin, "", pvc.Spec.VolumeName)
		if err != nil {
			continue
		}
		host := ""
		switch {
		case pv.Spec.HostPath != nil:
			host = pv.Spec.HostPath.Path
		case pv.Spec.Local != nil:
			host = pv.Spec.Local.Path
		}
		if host == "" || !path.IsAbs(host) || !path.IsAbs(vm.MountPath) {
			continue
		}
		m := claimMount{mountPath: path.Clean(vm.MountPath), hostPath: path.Clean(host), readOnly: vm.ReadOnly || src.ReadOnly}
		b.claims = append(b.claims, m)
		b.fs.MkdirAll(m.mountPath)
		for _, p := range node.Files() {
			if rel, ok := strings.CutPrefix(p, m.hostPath+"/"); ok {
				if data, err := node.ReadFile(p); err == nil {
					b.fs.MkdirAll(path.Dir(m.mountPath + "/" + rel))
					b.fs.WriteFile(m.mountPath+"/"+rel, data, 0o644)
				}
			}
		}
	}
}

// syncClaims writes what the command left under each writable claim's
// mount path back to the volume's directory on the node.
func (b *box) syncClaims(c *cluster.Cluster) {
	node := c.NodeFS(b.pod.Spec.NodeName)
	if node == nil {
		return
	}
	for _, m := range b.claims {
		if m.readOnly {
			continue
		}
		for _, p := range node.Files() {
			if strings.HasPrefix(p, m.hostPath+"/") {
				node.Remove(p)
			}
		}
		node.MkdirAll(m.hostPath)
		for _, p := range b.fs.Files() {
			if rel, ok := strings.CutPrefix(p, m.mountPath+"/"); ok {
				if data, err := b.fs.ReadFile(p); err == nil {
					node.WriteFile(m.hostPath+"/"+rel, data, 0o644)
				}
			}
		}
	}
}
