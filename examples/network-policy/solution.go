//go:build solution

package networkpolicy

// Manifest holds the NetworkPolicies of namespace shop:
//
//   - api-ingress: once a policy selects the api pods for Ingress, only
//     what some rule allows gets in. The frontend may reach port 8080;
//     Prometheus — a pod labelled app=prometheus AND in namespace
//     monitoring, so namespaceSelector and podSelector sit in ONE peer —
//     may reach the metrics port 9090. Two peers would be an OR: every pod
//     of monitoring, and every app=prometheus pod of shop.
//   - db-ingress: only the api pods reach PostgreSQL on 5432.
//
// Egress stays open (no policy has an Egress section), so DNS and the
// api's connections to the database keep working.
const Manifest = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: frontend
    ports:
    - protocol: TCP
      port: 8080
  - from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
      podSelector:
        matchLabels:
          app: prometheus
    ports:
    - protocol: TCP
      port: 9090
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: db
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: api
    ports:
    - protocol: TCP
      port: 5432
`
