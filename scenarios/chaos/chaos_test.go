package chaos

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestScratch(t *testing.T) {
	if os.Getenv("CHAOS_SCRATCH") == "" {
		t.Skip()
	}
	res, err := Run(Options{Seed: 1, Duration: 5 * time.Minute, Out: os.Stdout})
	require.NoError(t, err)
	_ = res
}
