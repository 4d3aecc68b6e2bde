package apiserver

import (
	"errors"
	"fmt"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
)

// evictionRetries is how often an eviction re-reads a budget whose status
// changed under it before giving up with the conflict.
const evictionRetries = 3

// evict is pods/eviction (policy/v1 Eviction): the pod's
// PodDisruptionBudget decides (api.EvictionCheck); an allowed eviction
// takes one of the budget's disruptionsAllowed, records the pod under
// status.disruptedPods and deletes the pod with the Eviction's
// deleteOptions. Refusals are the real ones: 429 TooManyRequests with a
// DisruptionBudget cause, 500 for a pod under more than one budget.
// kubesim answers a successful eviction with the Eviction itself (201)
// where kube-apiserver sends a Success Status; clients read the code only.
func (h *handler) evict(r *apiwire.Request, info *api.ResourceInfo) (*apiwire.Response, error) {
	ev, ok := r.Object.(*api.Eviction)
	if !ok || ev == nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("pods/eviction expects a policy/v1 Eviction body, got %T", r.Object))
	}
	if ev.Name != "" && ev.Name != r.Name {
		return nil, apierrors.NewBadRequest("name in URL does not match name in Eviction object")
	}
	pdbInfo, _ := api.ResourceFor("poddisruptionbudgets")
	for attempt := 0; ; attempt++ {
		obj, _, err := h.read(info, r.Namespace, r.Name)
		if err != nil {
			return nil, err
		}
		pod := obj.(*api.Pod)
		pdbs, revs, err := h.namespacePDBs(pdbInfo, r.Namespace)
		if err != nil {
			return nil, err
		}
		v := api.EvictionCheck(pod, pdbs)
		h.c.Note(NoteEviction, newEvictionNote(pod, v))
		if !v.Allowed {
			return nil, evictionError(v)
		}
		if v.Decrement && !r.DryRun {
			pdb := api.DeepCopy(v.PDB)
			pdb.Status.DisruptionsAllowed--
			if pdb.Status.DisruptedPods == nil {
				pdb.Status.DisruptedPods = map[string]api.Time{}
			}
			pdb.Status.DisruptedPods[pod.Name] = api.NewTime(h.c.WallTime().Truncate(time.Second))
			_, err := h.put(pdbInfo, pdbInfo.Key(pdb.Namespace, pdb.Name), pdb, revs[pdb.Name])
			if apierrors.IsConflict(err) && attempt < evictionRetries {
				continue
			}
			if err != nil {
				return nil, err
			}
		}
		del := &apiwire.Request{Verb: apiwire.VerbDelete, Resource: "pods", Namespace: r.Namespace, Name: r.Name, DryRun: r.DryRun}
		if ev.DeleteOptions != nil {
			del.GracePeriodSeconds = ev.DeleteOptions.GracePeriodSeconds
		}
		if _, err := h.delete(del, info); err != nil {
			return nil, err
		}
		out := api.DeepCopy(ev)
		out.Name, out.Namespace = r.Name, r.Namespace
		api.SetTypeMeta(out)
		return &apiwire.Response{Code: 201, Object: out}, nil
	}
}

// namespacePDBs is a quorum read of the namespace's budgets, in name
// order, with each one's mod revision for the conditional status write.
func (h *handler) namespacePDBs(info *api.ResourceInfo, namespace string) ([]*api.PodDisruptionBudget, map[string]int64, error) {
	prefix := info.Key(namespace, "")
	res, err := h.etcd.Range(prefix, mvcc.PrefixEnd(prefix), mvcc.RangeOptions{}, false)
	if err != nil {
		return nil, nil, storageError(err)
	}
	var out []*api.PodDisruptionBudget
	revs := map[string]int64{}
	for _, kv := range res.KVs {
		obj, err := decode(info, kv.Value, kv.ModRevision)
		if err != nil {
			return nil, nil, apierrors.NewInternalError(err)
		}
		pdb := obj.(*api.PodDisruptionBudget)
		out = append(out, pdb)
		revs[pdb.Name] = kv.ModRevision
	}
	return out, revs, nil
}

// evictionError is the refusal of EvictionCheck as the API returns it.
func evictionError(v api.EvictionVerdict) error {
	if v.Code == 500 {
		return apierrors.NewInternalError(errors.New(v.Message))
	}
	retry := int32(0)
	if v.PDB != nil && v.PDB.Status.ObservedGeneration < v.PDB.Generation {
		retry = 10
	}
	err := apierrors.NewTooManyRequests(v.Message, retry)
	err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, apierrors.StatusCause{Type: api.CauseTypeDisruptionBudget, Message: v.Cause})
	return err
}

// NoteEviction is the trace note of a pods/eviction decision.
const NoteEviction = "eviction"

// EvictionNote is what the eviction API decided for one pod, typed for
// narration: the budget that decided (empty when none selects the pod),
// whether it let the pod go, and the budget's numbers at the time.
type EvictionNote struct {
	Namespace, Pod string
	PDB            string
	Allowed        bool
	// Code is 429 or 500 for a refusal.
	Code int
	// Decremented says the eviction took one of disruptionsAllowed.
	Decremented                    bool
	DesiredHealthy, CurrentHealthy int32
	DisruptionsAllowed             int32
}

func newEvictionNote(pod *api.Pod, v api.EvictionVerdict) EvictionNote {
	n := EvictionNote{Namespace: pod.Namespace, Pod: pod.Name, Allowed: v.Allowed, Code: v.Code, Decremented: v.Decrement}
	if v.PDB != nil {
		n.PDB = v.PDB.Name
		n.DesiredHealthy, n.CurrentHealthy = v.PDB.Status.DesiredHealthy, v.PDB.Status.CurrentHealthy
		n.DisruptionsAllowed = v.PDB.Status.DisruptionsAllowed
	}
	return n
}

// Summary implements sim.Summarizer.
func (n EvictionNote) Summary() string {
	switch {
	case n.Allowed && n.PDB == "":
		return fmt.Sprintf("eviction of pod %s/%s allowed: no PodDisruptionBudget selects it", n.Namespace, n.Pod)
	case n.Allowed && n.Decremented:
		return fmt.Sprintf("eviction of pod %s/%s allowed by PodDisruptionBudget %s (%d disruptions allowed before it)", n.Namespace, n.Pod, n.PDB, n.DisruptionsAllowed)
	case n.Allowed:
		return fmt.Sprintf("eviction of pod %s/%s allowed by PodDisruptionBudget %s without using a disruption (pod not ready)", n.Namespace, n.Pod, n.PDB)
	case n.Code == 500:
		return fmt.Sprintf("eviction of pod %s/%s refused: more than one PodDisruptionBudget selects it (500)", n.Namespace, n.Pod)
	}
	return fmt.Sprintf("eviction of pod %s/%s refused by PodDisruptionBudget %s: needs %d healthy pods, has %d (429)", n.Namespace, n.Pod, n.PDB, n.DesiredHealthy, n.CurrentHealthy)
}
