package kubelet

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// ConfigFilePath is where kubeadm writes the kubelet's configuration
// (--config).
const ConfigFilePath = "/var/lib/kubelet/config.yaml"

// fileConfig is the part of the KubeletConfiguration file the simulated
// kubelet reads when it starts.
type fileConfig struct {
	APIVersion     string `yaml:"apiVersion"`
	Kind           string `yaml:"kind"`
	Authentication struct {
		X509 struct {
			ClientCAFile string `yaml:"clientCAFile"`
		} `yaml:"x509"`
	} `yaml:"authentication"`
	CgroupDriver  string `yaml:"cgroupDriver"`
	StaticPodPath string `yaml:"staticPodPath"`
}

// checkConfigFile reads the node's kubelet configuration as the kubelet
// does at start, and returns the error the real binary exits with: a file
// that does not parse or is not a KubeletConfiguration, a client CA file
// that cannot be read, an unknown cgroup driver. A node without a disk
// (or without the file) runs with the flags it was given.
func checkConfigFile(cfg Config) error {
	d := cfg.Disk
	if d == nil || !d.Exists(ConfigFilePath) {
		return nil
	}
	data, err := d.ReadFile(ConfigFilePath)
	if err != nil {
		return fmt.Errorf("failed to load kubelet config file, path: %s, error: %w", ConfigFilePath, err)
	}
	var fc fileConfig
	if err := yaml.Unmarshal(data, &fc); err != nil {
		return fmt.Errorf("failed to load kubelet config file, path: %s, error: failed to decode: %v", ConfigFilePath, err)
	}
	if fc.Kind != "KubeletConfiguration" || fc.APIVersion != "kubelet.config.k8s.io/v1beta1" {
		return fmt.Errorf("failed to load kubelet config file, path: %s, error: failed to decode: no kind %q is registered for version %q in scheme", ConfigFilePath, fc.Kind, fc.APIVersion)
	}
	switch fc.CgroupDriver {
	case "", "systemd", "cgroupfs":
	default:
		return fmt.Errorf("failed to validate kubelet configuration, error: invalid configuration: cgroupDriver (--cgroup-driver) %q is not valid, must be one of: cgroupfs, systemd", fc.CgroupDriver)
	}
	if ca := fc.Authentication.X509.ClientCAFile; ca != "" {
		if _, err := d.ReadFile(ca); err != nil {
			return fmt.Errorf("failed to construct kubelet dependencies: unable to load client CA file %s: open %s: no such file or directory", ca, ca)
		}
	}
	return nil
}
