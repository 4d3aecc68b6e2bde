package printers

import (
	"testing"

	"github.com/kubesim/kubesim/components/api"
)

func TestQuotaColumns(t *testing.T) {
	q := &api.ResourceQuota{Status: api.ResourceQuotaStatus{
		Hard: api.ResourceList{"pods": api.MustParseQuantity("4"), "requests.cpu": api.MustParseQuantity("2"), "limits.memory": api.MustParseQuantity("1Gi"), "configmaps": api.MustParseQuantity("10")},
		Used: api.ResourceList{"pods": api.MustParseQuantity("3"), "requests.cpu": api.MustParseQuantity("1800m")},
	}}
	req, lim := QuotaColumns(q)
	if want := "configmaps: 0/10, pods: 3/4, requests.cpu: 1800m/2"; req != want {
		t.Errorf("REQUEST = %q, want %q", req, want)
	}
	if want := "limits.memory: 0/1Gi"; lim != want {
		t.Errorf("LIMIT = %q, want %q", lim, want)
	}
}
