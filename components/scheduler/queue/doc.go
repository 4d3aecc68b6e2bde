// Package queue is kube-scheduler's scheduling queue for kubesim: the
// pending pods, in activeQ (ready, by priority then age), backoffQ
// (recently failed, waiting 1s, 2s, 4s, 8s, then 10s) and
// unschedulablePods (waiting for a cluster event that may help, or for the
// 5 minute timeout), with the queueing hints of the scheduler's plugins
// deciding which events wake which pods.
//
// It has no goroutines and reads no clock: every method that depends on
// time takes now, the kernel's virtual time, and the actor calls
// FlushUnschedulablePodsLeftover on its own timer. Given the same calls
// with the same times, it returns the same pods in the same order.
//
// It follows the real queue (v1.33+) in its defaults: backoff counted from
// the last failure and grown by the failures of the same kind
// (rejections, or consecutive errors), popping from backoffQ when activeQ
// is empty, and events received while a pod is being scheduled replayed
// against it when it fails. Nominated pods and scheduling gates are not
// modelled.
package queue
