package realclients

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// TestClientGoLeaderElection runs client-go's leader election with two
// candidates on one Lease: one leads; when it stops without releasing, the
// other takes over once the lease expires.
func TestClientGoLeaderElection(t *testing.T) {
	s := startServed(t)
	cs, err := kubernetes.NewForConfig(s.cfg)
	require.NoError(t, err)

	var mu sync.Mutex
	var leaders []string
	elected := make(chan string, 4)
	run := func(ctx context.Context, id string) chan struct{} {
		done := make(chan struct{})
		lock := &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Namespace: "default", Name: "demo-election"},
			Client:     cs.CoordinationV1(),
			LockConfig: resourcelock.ResourceLockConfig{Identity: id},
		}
		go func() {
			defer close(done)
			leaderelection.RunOrDie(ctx, leaderelection.LeaderElectionConfig{
				Lock: lock, LeaseDuration: 2 * time.Second, RenewDeadline: time.Second, RetryPeriod: 100 * time.Millisecond,
				Callbacks: leaderelection.LeaderCallbacks{
					OnStartedLeading: func(context.Context) {
						mu.Lock()
						leaders = append(leaders, id)
						mu.Unlock()
						elected <- id
					},
					OnStoppedLeading: func() {},
				},
			})
		}()
		return done
	}
	ctxA, cancelA := context.WithCancel(context.Background())
	ctxB, cancelB := context.WithCancel(context.Background())
	defer cancelB()
	doneA := run(ctxA, "candidate-a")
	var first string
	select {
	case first = <-elected:
	case <-time.After(30 * time.Second):
		t.Fatal("nobody was elected")
	}
	require.Equal(t, "candidate-a", first)
	doneB := run(ctxB, "candidate-b")

	lease, err := cs.CoordinationV1().Leases("default").Get(context.Background(), "demo-election", metav1.GetOptions{})
	require.NoError(t, err)
	require.NotNil(t, lease.Spec.HolderIdentity)
	assert.Equal(t, "candidate-a", *lease.Spec.HolderIdentity, "the Lease names the leader")

	cancelA() // the leader goes away without releasing the lease
	<-doneA
	select {
	case id := <-elected:
		assert.Equal(t, "candidate-b", id, "the other candidate took over")
	case <-time.After(30 * time.Second):
		t.Fatal("no failover")
	}
	cancelB()
	<-doneB
	mu.Lock()
	assert.Equal(t, []string{"candidate-a", "candidate-b"}, leaders)
	mu.Unlock()
}
