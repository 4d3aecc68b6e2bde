//go:build solution

package fixmanifest

// Manifest is the repaired manifest:
//   - spec.replica is spec.replicas (strict field validation refuses
//     unknown fields);
//   - the pod template's labels must match the selector (app: web), which
//     is also what the Service selects;
//   - a container name is a DNS-1123 label: lower case, digits and '-';
//   - a containerPort lies between 1 and 65535: the app listens on 8080.
const Manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web-server
        image: nginx:1.27
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
`
