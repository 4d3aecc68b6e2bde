package serve

// A classroom: `kubesim serve --users alice,bob`. Each trainee gets what an
// ordinary user of a real cluster has, set up as a cluster's operator would
// set it up, through kube-apiserver as real objects:
//
//   - a client certificate signed by the run's CA, CN=<user>,
//     O=kubesim:trainees, in <dir>/<user>.kubeconfig
//     (client-certificate-data, client-key-data), whose context's
//     namespace is the trainee's own;
//   - a Namespace named after the user;
//   - a RoleBinding <user>-edit in it, of the built-in ClusterRole edit to
//     User <user>: read and write the usual workload objects there, but no
//     Roles or RoleBindings (kubesim does not model RBAC's escalation
//     check, which is what makes admin safe to hand out), no
//     ResourceQuotas, and nothing of the Namespace itself;
//   - nothing cluster-wide: like an ordinary user of a real cluster, a
//     trainee cannot list nodes or namespaces, nor read another trainee's
//     namespace (403 Forbidden with the real text). Only the self reviews
//     of system:basic-user (`kubectl auth can-i`, `auth whoami`) and the
//     discovery documents are open to every authenticated user.
//
// The instructor (Config.Instructor, "instructor" by default) gets a
// certificate with O=kubeadm:cluster-admins, the group kubeadm's admin.conf
// carries, which the bootstrap ClusterRoleBinding kubeadm:cluster-admins
// binds to cluster-admin; it also may use kubesim's own endpoints (the node
// shell, an incident's check) from this machine.
//
// A classroom refuses requests without credentials with 401 (kube-apiserver
// with --anonymous-auth=false), and may listen on an address other machines
// reach without Config.AllowNonLoopback: certificates authenticate.

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/apiwire"
)

// Groups of a classroom's users.
const (
	// GroupTrainees is the group of every trainee's certificate.
	GroupTrainees = "kubesim:trainees"
	// DefaultInstructor is the instructor's name without Config.Instructor.
	DefaultInstructor = "instructor"
)

// classUser is one user of a classroom and its credentials.
type classUser struct {
	name      string
	groups    []string
	namespace string // the kubeconfig context's namespace
	certPEM   []byte
	keyPEM    []byte
}

// reserved namespaces a trainee may not be named after.
var reservedNamespaces = []string{"default", "kube-node-lease", "kube-public", "kube-system"}

// checkUsers validates a classroom's user names: each trainee's name is
// its namespace's, so a DNS-1123 label; names are unique; the instructor
// is none of them.
func checkUsers(users []string, instructor string) error {
	seen := map[string]bool{}
	for i, u := range users {
		if u == "" {
			return fmt.Errorf("serve: users[%d] is empty: expected a user name", i)
		}
		if errs := apiserver.IsDNS1123Label(u); len(errs) > 0 {
			return fmt.Errorf("serve: user %q: a trainee's name is its namespace's name, and %s", u, strings.Join(errs, "; "))
		}
		if slices.Contains(reservedNamespaces, u) || strings.HasPrefix(u, "kube-") {
			return fmt.Errorf("serve: user %q: the namespace %q belongs to the cluster; choose another name", u, u)
		}
		if seen[u] {
			return fmt.Errorf("serve: user %q is listed twice", u)
		}
		seen[u] = true
	}
	switch {
	case instructor == "":
		return fmt.Errorf("serve: the instructor's name is empty")
	case seen[instructor]:
		return fmt.Errorf("serve: %q is both a trainee and the instructor", instructor)
	case strings.HasPrefix(instructor, "system:") || strings.ContainsAny(instructor, ", \t\n"):
		return fmt.Errorf("serve: instructor %q: expected a user name without spaces or commas, not in system:", instructor)
	}
	return nil
}

// setUpClassroom issues the users' certificates and creates each trainee's
// Namespace and RoleBinding through kube-apiserver, as the instructor. It
// runs before the server serves, on the goroutine that owns the cluster.
func (s *Server) setUpClassroom() error {
	inst := &classUser{name: s.cfg.Instructor, groups: []string{apiserver.GroupKubeadmClusterAd}, namespace: "default"}
	var err error
	if inst.certPEM, inst.keyPEM, err = s.pki.issueClient(inst.name, inst.groups); err != nil {
		return fmt.Errorf("serve: signing %s's certificate: %w", inst.name, err)
	}
	s.users = append(s.users, inst)
	as := &apiwire.ClientCertificate{CommonName: inst.name, Organization: inst.groups}
	for _, name := range s.cfg.Users {
		u := &classUser{name: name, groups: []string{GroupTrainees}, namespace: name}
		if u.certPEM, u.keyPEM, err = s.pki.issueClient(u.name, u.groups); err != nil {
			return fmt.Errorf("serve: signing %s's certificate: %w", name, err)
		}
		s.users = append(s.users, u)
		ns := &api.Namespace{TypeMeta: api.TypeMeta{Kind: "Namespace", APIVersion: "v1"},
			ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{"kubesim.io/trainee": name}}}
		rb := &api.RoleBinding{TypeMeta: api.TypeMeta{Kind: "RoleBinding", APIVersion: "rbac.authorization.k8s.io/v1"},
			ObjectMeta: api.ObjectMeta{Name: name + "-edit", Namespace: name, Labels: map[string]string{"kubesim.io/trainee": name}},
			Subjects:   []api.Subject{{Kind: api.UserKind, APIGroup: "rbac.authorization.k8s.io", Name: name}},
			RoleRef:    api.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "edit"}}
		for _, obj := range []api.Object{ns, rb} {
			r := &apiwire.Request{Verb: apiwire.VerbCreate, Resource: resourceOf(obj), Namespace: obj.GetObjectMeta().Namespace, Object: obj, Certificate: as}
			if _, err := s.cl.Do(r); err != nil {
				return fmt.Errorf("serve: setting up %s: creating %s %q: %w", name, obj.GetTypeMeta().Kind, obj.GetObjectMeta().Name, err)
			}
		}
	}
	return nil
}

func resourceOf(obj api.Object) string {
	switch obj.(type) {
	case *api.Namespace:
		return "namespaces"
	case *api.RoleBinding:
		return "rolebindings"
	}
	panic(fmt.Sprintf("serve: no resource for %T", obj))
}

// isInstructor reports whether a verified certificate is the classroom's
// instructor's.
func (s *Server) isInstructor(cert *apiwire.ClientCertificate) bool {
	return len(s.cfg.Users) > 0 && cert.CommonName == s.cfg.Instructor && slices.Contains(cert.Organization, apiserver.GroupKubeadmClusterAd)
}

// Users are the classroom's user names, the instructor first.
func (s *Server) Users() []string {
	var out []string
	for _, u := range s.users {
		out = append(out, u.name)
	}
	return out
}

// ClientCertificate is a classroom user's certificate and key (PEM).
func (s *Server) ClientCertificate(user string) (certPEM, keyPEM []byte, ok bool) {
	for _, u := range s.users {
		if u.name == user {
			return u.certPEM, u.keyPEM, true
		}
	}
	return nil, nil, false
}

// WriteKubeconfigs writes <dir>/<user>.kubeconfig for every classroom user
// (mode 0600, in a directory made 0700 if missing) and returns the paths,
// the instructor's first.
func (s *Server) WriteKubeconfigs(dir string) ([]string, error) {
	if len(s.users) == 0 {
		return nil, fmt.Errorf("serve: no classroom users (Config.Users) to write kubeconfigs for")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var paths []string
	for _, u := range s.users {
		p := filepath.Join(dir, u.name+".kubeconfig")
		if err := writeFileAtomic(p, CertKubeconfig(s.AdvertisedURL(), s.CA(), u.name, u.namespace, u.certPEM, u.keyPEM)); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
