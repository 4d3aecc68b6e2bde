package serve

import (
	"fmt"
	"os"
)

// Kubeconfig is a kubeconfig for a server at url. kubectl sends no
// credentials over plain HTTP, so the user entry only says who the
// requests act as; the server attaches that user's token itself.
func Kubeconfig(url, user string) []byte {
	return []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubesim
  cluster:
    server: %s
users:
- name: %s
  user: {}
contexts:
- name: %s@kubesim
  context:
    cluster: kubesim
    namespace: default
    user: %s
current-context: %s@kubesim
preferences: {}
`, url, user, user, user, user))
}

// WriteKubeconfig writes the kubeconfig of the server to path (mode 0600,
// as kubectl writes its own).
func (s *Server) WriteKubeconfig(path, user string) error {
	return os.WriteFile(path, Kubeconfig(s.URL(), user), 0o600)
}
