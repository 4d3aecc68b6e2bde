//go:build !solution

package fixmanifest

// Manifest is the manifest to repair. `kubectl apply` refuses it as it is;
// make it apply and run, keeping what it means: three replicas of
// nginx:1.27 listening on port 8080, reachable through the Service web.
const Manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replica: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: frontend
    spec:
      containers:
      - name: Web_Server
        image: nginx:1.27
        ports:
        - containerPort: 80800
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
