package leaderelection

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNewValidatesTimings(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "lease not longer than renew deadline", cfg: Config{LeaseDuration: 10 * time.Second, RenewDeadline: 10 * time.Second}, wantErr: "leaseDuration must be greater than renewDeadline"},
		{name: "renew deadline within jittered retry", cfg: Config{RenewDeadline: 2 * time.Second, RetryPeriod: 2 * time.Second}, wantErr: "renewDeadline must be greater than retryPeriod*JitterFactor"},
		{name: "no identity", cfg: Config{}, wantErr: "leader election requires an identity"},
		{name: "no lock", cfg: Config{Identity: "cp-1_x"}, wantErr: "leader election requires a lock (client and lease name)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(nil, tt.cfg)
			assert.EqualError(t, err, tt.wantErr)
		})
	}
}
