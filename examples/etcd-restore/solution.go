//go:build solution

package etcdrestore

import (
	"fmt"

	"github.com/kubesim/kubesim/components/etcd"
	"github.com/kubesim/kubesim/sim"
)

// Restore brings the cluster's state back to snapshot:
//
//  1. stop every kube-apiserver, so that no client writes during the
//     restore (kubeadm: move the static pod manifests away);
//  2. stop every etcd member: a data directory must not change under its
//     member;
//  3. `etcdutl snapshot restore` into every member's data directory, as a
//     new cluster (a new --initial-cluster-token), with --bump-revision
//     far beyond any revision a client has seen and --mark-compacted, so
//     that every watcher resuming from a revision after the snapshot gets
//     "410 Gone" and relists, instead of silently keeping objects the
//     restore removed (and so that resourceVersions never go backwards);
//  4. start the members, then the apiservers.
func Restore(k *sim.Kernel, cp ControlPlane, snapshot []byte) error {
	for _, name := range append(append([]string(nil), cp.APIServers...), cp.EtcdMembers...) {
		if k.Running(name) {
			if err := k.Crash(name); err != nil {
				return fmt.Errorf("stopping %s: %w", name, err)
			}
		}
	}
	err := etcd.RestoreCluster(snapshot, cp.Disks, etcd.RestoreOptions{
		Names:         cp.EtcdMembers,
		Token:         "etcd-cluster-restored",
		BumpRevision:  etcd.RecommendedBumpRevision,
		MarkCompacted: true,
		Now:           k.Now(),
	})
	if err != nil {
		return err
	}
	for _, name := range append(append([]string(nil), cp.EtcdMembers...), cp.APIServers...) {
		if err := k.Restart(name); err != nil {
			return fmt.Errorf("starting %s: %w", name, err)
		}
	}
	return nil
}
