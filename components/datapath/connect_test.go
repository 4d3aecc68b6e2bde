package datapath_test

import (
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/stretchr/testify/assert"
)

// nc -z: a connection accepted, refused or timed out, and nothing sent to
// the server's process (no runtime hop).
func TestConnect(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.web()
	e.service("default", "empty", "10.96.12.40", []api.ServicePort{{Port: 80, Protocol: api.ProtocolTCP}})
	e.settle()
	tests := []struct {
		name     string
		host     string
		port     uint16
		wantCode int
	}{
		{"by name", "web", 80, 0},
		{"no endpoints", "10.96.12.40", 80, 7},
		{"no such name", "nosuch", 80, 6},
		{"nothing there", "10.96.99.99", 80, 28},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.p.Connect("client", tt.host, tt.port)
			assert.Equal(t, tt.wantCode, r.ExitCode, r.String())
			assert.Empty(t, r.Output)
			for _, h := range r.Hops {
				assert.NotContains(t, h.Actor, "runtime", "nc -z sends no request to the process")
			}
			if tt.wantCode == 0 {
				assert.Contains(t, []string{"default/web-1", "default/web-2"}, r.Server)
			}
		})
	}
}
