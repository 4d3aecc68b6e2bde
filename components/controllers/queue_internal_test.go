package controllers

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestQueueDeduplicatesAndBacksOff(t *testing.T) {
	q := newQueue(nil, "test")
	q.Add("a")
	q.Add("b")
	q.Add("a")
	assert.Equal(t, 2, q.Len(), "a key waits once however often it is added")
	k, _ := q.pop()
	assert.Equal(t, "a", k)
	q.Add("a")
	assert.Equal(t, 2, q.Len(), "a popped key can be added again")

	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 5 * time.Millisecond}, {1, 10 * time.Millisecond}, {2, 20 * time.Millisecond},
		{10, 5120 * time.Millisecond}, {17, 655360 * time.Millisecond}, {18, 1000 * time.Second}, {60, 1000 * time.Second},
	}
	for _, tt := range tests {
		q.failures["k"] = tt.failures
		assert.Equal(t, tt.want, q.backoff("k"), "after %d failures", tt.failures)
	}
	q.Forget("k")
	assert.Equal(t, 5*time.Millisecond, q.backoff("k"), "success resets the backoff")
}
