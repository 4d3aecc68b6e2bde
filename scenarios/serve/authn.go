package serve

// The guard in front of the HTTP front end: what kube-apiserver's own
// handler chain does before a request reaches its API handlers, plus the
// checks a server on a developer's machine needs against web pages.
//
//   - TLS with a CA generated for the run. kubectl sends no credentials
//     over plain HTTP (client-go reads the user's token only for an https
//     server), so the served kubeconfig names an https server and carries
//     the CA and a bearer token.
//   - Authentication from the request's own credentials, in the order of
//     kube-apiserver's authenticator union. A client certificate comes
//     first: the TLS handshake requests one (tls.RequestClientCert, as
//     kube-apiserver with --client-ca-file does, so that a request without
//     one may still authenticate otherwise) and the guard verifies it
//     against the run's CA; a verified certificate is the user of its CN in
//     the groups of its O, passed to kube-apiserver as such. A certificate
//     the CA did not sign is 401, as the real x509 authenticator answers
//     (not a failed handshake), unless a valid token follows. Then the
//     bearer token: the served kubeconfig's token, fresh for every run,
//     stands for the identity the server was configured with (Config.Token,
//     kubernetes-admin's by default); a service account token is passed on
//     for kube-apiserver to check; any other token is refused with the real
//     401 body. A request without credentials is system:anonymous, as
//     kube-apiserver with --anonymous-auth=true treats it — or, in a
//     classroom (Config.Users), 401 Unauthorized, as with
//     --anonymous-auth=false. Simplification: the discovery, OpenAPI,
//     /version and health documents, which the front end answers itself,
//     are open to anonymous requests outside a classroom (the real
//     apiserver grants anonymous only /version and the health checks).
//   - Impersonation (kubectl --as, --as-group) is handed to kube-apiserver,
//     which honours it only when RBAC grants impersonate.
//   - The Host header must name this server (a loopback name or address,
//     or the address it listens on): a page that reaches the port through
//     DNS rebinding sends its own host name. A browser's cross-site request
//     (Origin of another host, or Sec-Fetch-Site: cross-site) is refused.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/apiwire"
)

// credentials are what the guard established for one HTTP request.
type credentials struct {
	token       string                     // "" is system:anonymous, unless cert is set
	cert        *apiwire.ClientCertificate // a verified client certificate
	impersonate *apiwire.Impersonation
}

type credentialsKey struct{}

func credentialsFrom(ctx context.Context) credentials {
	c, _ := ctx.Value(credentialsKey{}).(credentials)
	return c
}

// apply puts the request's credentials on an apiwire.Request, whatever the
// front end put there.
func (c credentials) apply(r *apiwire.Request) {
	r.Token = c.token
	r.Certificate = c.cert
	r.Impersonate = c.impersonate
}

// pki is the run's certificate authority and the serving certificate it
// signed; the CA also signs the classroom's client certificates, and is the
// only one the guard trusts for client certificates.
type pki struct {
	caPEM  []byte
	cert   tls.Certificate
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caPool *x509.CertPool
}

// newPKI makes a CA and a serving certificate for the loopback names and
// hosts. The keys live in memory only.
func newPKI(hosts []string) (*pki, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "kubesim-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err = x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leaf.IPAddresses = append(leaf.IPAddresses, ip)
		} else if h != "" {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return &pki{
		caPEM:  caPEM,
		cert:   tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		ca:     ca,
		caKey:  caKey,
		caPool: CAPool(caPEM),
	}, nil
}

// issueClient signs a client certificate for user in groups, as kubeadm
// signs admin.conf's (CN=kubernetes-admin, O=kubeadm:cluster-admins): the
// subject's CommonName is the user and each Organization a group. It
// returns the certificate and its key in PEM.
func (p *pki) issueClient(user string, groups []string) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: user, Organization: groups},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

// verifyClient checks the certificates a client presented against the
// run's CA, for client authentication, as kube-apiserver's x509
// authenticator does, and returns the subject it authenticates.
func (p *pki) verifyClient(certs []*x509.Certificate) (*apiwire.ClientCertificate, error) {
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	if _, err := certs[0].Verify(x509.VerifyOptions{Roots: p.caPool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return nil, err
	}
	if certs[0].Subject.CommonName == "" {
		return nil, fmt.Errorf("the client certificate names no user (empty CommonName)")
	}
	return &apiwire.ClientCertificate{CommonName: certs[0].Subject.CommonName, Organization: append([]string(nil), certs[0].Subject.Organization...)}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

// newToken is the served kubeconfig's bearer token.
func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "kubesim-" + hex.EncodeToString(b)
}

// IsLoopback reports whether a listen address stays on this machine.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		host = listen
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// servedHosts are the host names and addresses a request's Host header may
// name: the loopback ones, and those of the listen address (every address
// of the machine when it listens on all of them).
func servedHosts(listen string) []string {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		host = listen
	}
	var hosts []string
	ip := net.ParseIP(host)
	switch {
	case host == "" || (ip != nil && ip.IsUnspecified()):
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok {
					hosts = append(hosts, n.IP.String())
				}
			}
		}
		if name, err := os.Hostname(); err == nil {
			hosts = append(hosts, name)
		}
	case ip != nil:
		hosts = append(hosts, ip.String())
	default:
		hosts = append(hosts, host)
	}
	return hosts
}

// hostAllowed reports whether a Host header (or an Origin's host) names
// this server.
func (s *Server) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" {
		return true
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	for _, h := range s.hosts {
		if strings.EqualFold(h, host) {
			return true
		}
		if ip, hip := net.ParseIP(h), net.ParseIP(host); ip != nil && hip != nil && ip.Equal(hip) {
			return true
		}
	}
	return false
}

// guard authenticates a request and refuses what a web page could send;
// with an audit log, it logs the request (audit.go).
func (s *Server) guard(next http.Handler) http.Handler {
	return s.audited(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			writeStatus(w, apierrors.NewForbidden("", "", "", nil).WithMessage(
				fmt.Sprintf("forbidden: the Host header %q names no address this server serves (only loopback names and addresses, and the address it listens on)", r.Host)))
			return
		}
		if o := r.Header.Get("Origin"); o != "" {
			u, err := url.Parse(o)
			if err != nil || u.Host == "" || !s.hostAllowed(u.Host) {
				writeStatus(w, apierrors.NewForbidden("", "", "", nil).WithMessage(fmt.Sprintf("forbidden: cross-origin request from %q refused", o)))
				return
			}
		}
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			writeStatus(w, apierrors.NewForbidden("", "", "", nil).WithMessage("forbidden: cross-site request refused"))
			return
		}
		creds, err := s.authenticate(r)
		if err != nil {
			auditAuthnFailed(r, err)
			writeStatus(w, err)
			return
		}
		auditAuthenticated(r, s.userOf(creds), creds.impersonate)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), credentialsKey{}, creds)))
	}))
}

// userOf is who credentials authenticate as, as kube-apiserver maps them:
// a certificate's CN and O, the static token file's user, a service
// account's name and groups, or system:anonymous. The audit log names it;
// kube-apiserver decides for itself from the same credentials.
func (s *Server) userOf(c credentials) apiserver.UserInfo {
	switch {
	case c.cert != nil:
		return apiserver.UserInfo{Name: c.cert.CommonName, Groups: append(append([]string(nil), c.cert.Organization...), apiserver.GroupAuthenticated)}
	case c.token == "":
		return apiserver.UserInfo{Name: apiserver.Anonymous, Groups: []string{apiserver.GroupUnauthenticated}}
	case strings.HasPrefix(c.token, apiserver.ServiceAccountToken):
		ns, name, _ := strings.Cut(strings.TrimPrefix(c.token, apiserver.ServiceAccountToken), ":")
		return apiserver.UserInfo{Name: apiserver.ServiceAccountPrefix + ns + ":" + name,
			Groups: []string{apiserver.GroupServiceAccounts, apiserver.GroupServiceAccounts + ":" + ns, apiserver.GroupAuthenticated}}
	}
	if u, ok := s.c.TokenUser(c.token); ok {
		return u
	}
	return apiserver.UserInfo{}
}

// authenticate reads the request's credentials.
func (s *Server) authenticate(r *http.Request) (credentials, error) {
	var c credentials
	var certErr error
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		c.cert, certErr = s.pki.verifyClient(r.TLS.PeerCertificates)
	}
	if auth := r.Header.Get("Authorization"); c.cert == nil && auth != "" {
		scheme, token, _ := strings.Cut(auth, " ")
		token = strings.TrimSpace(token)
		switch {
		case !strings.EqualFold(scheme, "Bearer") || token == "":
			return c, apierrors.NewUnauthorized()
		case token == s.token && len(s.cfg.Users) == 0:
			// A classroom writes no token kubeconfig: the instructor's
			// certificate is its admin credential.
			c.token = s.cfg.Token
		case strings.HasPrefix(token, apiserver.ServiceAccountToken):
			c.token = token // kube-apiserver checks the account exists
		default:
			return c, apierrors.NewUnauthorized()
		}
	}
	if c.cert == nil && c.token == "" && (certErr != nil || len(s.cfg.Users) > 0) {
		// A certificate that fails verification, with no token after it,
		// fails authentication; in a classroom so does no credential at
		// all (--anonymous-auth=false).
		return c, apierrors.NewUnauthorized()
	}
	user, groups := r.Header.Get("Impersonate-User"), r.Header.Values("Impersonate-Group")
	for k := range r.Header {
		if k == "Impersonate-Uid" || strings.HasPrefix(k, "Impersonate-Extra-") {
			return c, apierrors.NewBadRequest(fmt.Sprintf("the %s header is not modelled by kubesim: impersonate a user and groups only", k))
		}
	}
	if user != "" || len(groups) > 0 {
		c.impersonate = &apiwire.Impersonation{User: user, Groups: groups}
	}
	return c, nil
}

func writeStatus(w http.ResponseWriter, err error) {
	se, ok := err.(*apierrors.StatusError)
	if !ok {
		se = apierrors.NewInternalError(err)
	}
	b, _ := json.Marshal(se.ErrStatus)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(int(se.ErrStatus.Code))
	w.Write(b)
}

// adminOnly lets through only requests with the served kubeconfig's own
// credentials (or, in a classroom, the instructor's certificate), not
// impersonating: kubesim's endpoints (the node shell is root on a node)
// are the cluster operator's, not RBAC's.
func (s *Server) adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := credentialsFrom(r.Context())
		operator := (c.cert == nil && c.token == s.cfg.Token) || (c.cert != nil && s.isInstructor(c.cert))
		if !operator || c.impersonate != nil {
			whose := "the kubeconfig kubesim wrote"
			if len(s.cfg.Users) > 0 {
				whose = "the instructor's kubeconfig"
			}
			writeStatus(w, apierrors.NewForbidden("", "", "", nil).WithMessage("forbidden: "+r.URL.Path+" needs the credentials of "+whose))
			return
		}
		next.ServeHTTP(w, r)
	})
}
