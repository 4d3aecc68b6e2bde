package chaos

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kubesim/kubesim/sim/cluster"
)

func TestDebug(t *testing.T) {
	if os.Getenv("CHAOS_SCRATCH") == "" {
		t.Skip()
	}
	Run(Options{Seed: 2, Duration: time.Minute, Kinds: []string{"kube-proxy", "coredns"}, Break: func(c *cluster.Cluster) {
		pr := c.Prober()
		fmt.Println(pr.Nslookup("default/client", "web.default.svc.cluster.local").String())
		r := pr.Curl("default/client", "web:80")
		fmt.Println(r.String())

	}})
}
