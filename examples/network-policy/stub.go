//go:build !solution

package networkpolicy

// Manifest holds the NetworkPolicies of namespace shop. The first attempt
// below was meant to let only the frontend and Prometheus reach the API.
// It lets in more than that, and it does nothing for the database.
const Manifest = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: frontend
  - from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
    - podSelector:
        matchLabels:
          app: prometheus
`
