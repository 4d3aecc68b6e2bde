package serve

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
)

// Kubeconfig is a kubeconfig for a server at url whose certificate caPEM
// signed, authenticating user with a bearer token. kubectl sends
// credentials only to an https server.
func Kubeconfig(url string, caPEM []byte, user, token string) []byte {
	return kubeconfig(url, caPEM, user, "default", "    token: "+token+"\n")
}

// CertKubeconfig is a kubeconfig that authenticates user with a client
// certificate and its key (PEM), as kubeadm's admin.conf does, with
// namespace as its context's namespace.
func CertKubeconfig(url string, caPEM []byte, user, namespace string, certPEM, keyPEM []byte) []byte {
	return kubeconfig(url, caPEM, user, namespace, fmt.Sprintf("    client-certificate-data: %s\n    client-key-data: %s\n",
		base64.StdEncoding.EncodeToString(certPEM), base64.StdEncoding.EncodeToString(keyPEM)))
}

func kubeconfig(url string, caPEM []byte, user, namespace, credentials string) []byte {
	return []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubesim
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
%scontexts:
- name: %s@kubesim
  context:
    cluster: kubesim
    namespace: %s
    user: %s
current-context: %s@kubesim
preferences: {}
`, url, base64.StdEncoding.EncodeToString(caPEM), user, credentials, user, namespace, user, user))
}

// WriteKubeconfig writes the kubeconfig of the server to path (mode 0600,
// as kubectl writes its own): its token acts as Config.Token, named user.
func (s *Server) WriteKubeconfig(path, user string) error {
	return writeFileAtomic(path, Kubeconfig(s.URL(), s.CA(), user, s.token))
}

// writeFileAtomic writes data to path (mode 0600) through a temporary file
// in the same directory and a rename, so that a kubectl or kubesim started
// while the file is being written reads either nothing or all of it,
// never a half-written kubeconfig.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
