// Package etcdrestore is an exercise on etcd disaster recovery: restore a
// control plane's etcd from a snapshot so that every client of the
// apiserver notices. See README.md.
package etcdrestore

import "github.com/kubesim/kubesim/components/etcd"

// ControlPlane names what the restore works on: the etcd members and
// kube-apiservers (kernel actor names) and the members' data directories,
// in the order of the members.
type ControlPlane struct {
	EtcdMembers []string
	Disks       []*etcd.Disk
	APIServers  []string
}
