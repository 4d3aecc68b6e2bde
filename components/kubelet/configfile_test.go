package kubelet

import (
	"testing"

	"github.com/kubesim/kubesim/components/nodefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheKubeletChecksItsConfigFileAtStart(t *testing.T) {
	good := "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\ncgroupDriver: systemd\n"
	for _, tt := range []struct{ name, file, err string }{
		{"good", good, ""},
		{"missing CA", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  x509:\n    clientCAFile: /etc/kubernetes/pki/old.crt\n",
			"failed to construct kubelet dependencies: unable to load client CA file /etc/kubernetes/pki/old.crt: open /etc/kubernetes/pki/old.crt: no such file or directory"},
		{"bad cgroup driver", "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemdd\n",
			`cgroupDriver (--cgroup-driver) "systemdd" is not valid, must be one of: cgroupfs, systemd`},
		{"not a KubeletConfiguration", "apiVersion: v1\nkind: Pod\n", `no kind "Pod" is registered for version "v1"`},
		{"not YAML", "a: [b\n", "failed to decode"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := nodefs.New()
			require.NoError(t, d.WriteFile("/etc/kubernetes/pki/ca.crt", []byte("CA"), 0o644))
			require.NoError(t, d.WriteFile(ConfigFilePath, []byte(tt.file), 0o644))
			err := checkConfigFile(Config{Disk: d})
			if tt.err == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
	assert.NoError(t, checkConfigFile(Config{}), "a node without a disk runs with its flags")
}
