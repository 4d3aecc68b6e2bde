package frontend

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/kubesim/kubesim/components/apierrors"
)

// kubesim serves HorizontalPodAutoscalers as autoscaling/v2 only. The
// real kubectl (v1.32) still creates them as autoscaling/v1 (`kubectl
// autoscale deployment php-apache --cpu-percent=50 --min=1 --max=10`
// POSTs an autoscaling/v1 HPA), so the front end converts that one
// request as kube-apiserver's conversion would: targetCPUUtilizationPercentage
// becomes a cpu Utilization metric (80% when it is left out, v1's
// default). Other autoscaling/v1 requests are not served (simplification).

// createHPAv1 converts a POST of an autoscaling/v1 HPA into the v2 create.
func (h *Handler) createHPAv1(w http.ResponseWriter, r *http.Request, parts []string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 3<<20))
	if err != nil {
		writeError(w, apierrors.NewBadRequest(err.Error()))
		return
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/vnd.kubernetes.protobuf") {
		if body, err = protobufToJSON(body, nil); err != nil {
			writeError(w, apierrors.NewBadRequest(err.Error()))
			return
		}
	}
	var v1 struct {
		Metadata json.RawMessage `json:"metadata"`
		Spec     struct {
			ScaleTargetRef                 json.RawMessage `json:"scaleTargetRef"`
			MinReplicas                    *int32          `json:"minReplicas,omitempty"`
			MaxReplicas                    int32           `json:"maxReplicas"`
			TargetCPUUtilizationPercentage *int32          `json:"targetCPUUtilizationPercentage,omitempty"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(body, &v1); err != nil {
		writeError(w, apierrors.NewBadRequest("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml"))
		return
	}
	target := int32(80)
	if v1.Spec.TargetCPUUtilizationPercentage != nil {
		target = *v1.Spec.TargetCPUUtilizationPercentage
	}
	v2 := map[string]any{
		"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": v1.Metadata,
		"spec": map[string]any{
			"scaleTargetRef": v1.Spec.ScaleTargetRef, "minReplicas": v1.Spec.MinReplicas, "maxReplicas": v1.Spec.MaxReplicas,
			"metrics": []any{map[string]any{"type": "Resource", "resource": map[string]any{"name": "cpu",
				"target": map[string]any{"type": "Utilization", "averageUtilization": target}}}},
		},
	}
	if v1.Spec.MinReplicas == nil {
		delete(v2["spec"].(map[string]any), "minReplicas")
	}
	data, _ := json.Marshal(v2)
	r2 := r.Clone(r.Context())
	parts = append([]string(nil), parts...)
	parts[2] = "v2"
	r2.URL.Path = "/" + strings.Join(parts, "/")
	r2.Body = io.NopCloser(bytes.NewReader(data))
	r2.ContentLength = int64(len(data))
	r2.Header.Set("Content-Type", "application/json")
	r2.Header.Set("Accept", "application/json")
	rec := &recorder{header: http.Header{}}
	h.resource(rec, r2)
	out := rec.body.Bytes()
	if rec.code == http.StatusCreated || rec.code == http.StatusOK {
		if conv, ok := hpaToV1(out); ok {
			out = conv
		}
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(rec.code)
	w.Write(out)
}

// recorder keeps a handler's answer to convert it.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(code int) { r.code = code }

// hpaToV1 converts an autoscaling/v2 HPA's JSON to autoscaling/v1.
func hpaToV1(doc []byte) ([]byte, bool) {
	var v2 struct {
		Metadata json.RawMessage `json:"metadata"`
		Spec     struct {
			ScaleTargetRef json.RawMessage `json:"scaleTargetRef"`
			MinReplicas    *int32          `json:"minReplicas,omitempty"`
			MaxReplicas    int32           `json:"maxReplicas"`
			Metrics        []struct {
				Type     string `json:"type"`
				Resource *struct {
					Name   string `json:"name"`
					Target struct {
						AverageUtilization *int32 `json:"averageUtilization"`
					} `json:"target"`
				} `json:"resource"`
			} `json:"metrics"`
		} `json:"spec"`
		Status struct {
			LastScaleTime   json.RawMessage `json:"lastScaleTime,omitempty"`
			CurrentReplicas int32           `json:"currentReplicas"`
			DesiredReplicas int32           `json:"desiredReplicas"`
		} `json:"status"`
	}
	if json.Unmarshal(doc, &v2) != nil || v2.Metadata == nil {
		return nil, false
	}
	spec := map[string]any{"scaleTargetRef": v2.Spec.ScaleTargetRef, "maxReplicas": v2.Spec.MaxReplicas}
	if v2.Spec.MinReplicas != nil {
		spec["minReplicas"] = *v2.Spec.MinReplicas
	}
	for _, m := range v2.Spec.Metrics {
		if m.Type == "Resource" && m.Resource != nil && m.Resource.Name == "cpu" && m.Resource.Target.AverageUtilization != nil {
			spec["targetCPUUtilizationPercentage"] = *m.Resource.Target.AverageUtilization
		}
	}
	status := map[string]any{"currentReplicas": v2.Status.CurrentReplicas, "desiredReplicas": v2.Status.DesiredReplicas}
	if len(v2.Status.LastScaleTime) > 0 {
		status["lastScaleTime"] = v2.Status.LastScaleTime
	}
	out, err := json.Marshal(map[string]any{"kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v1", "metadata": v2.Metadata, "spec": spec, "status": status})
	return out, err == nil
}

// isHPAv1Create reports whether a request is the POST kubectl autoscale
// sends.
func isHPAv1Create(r *http.Request, parts []string) bool {
	return r.Method == http.MethodPost && len(parts) == 6 && parts[0] == "apis" && parts[1] == "autoscaling" && parts[2] == "v1" &&
		parts[3] == "namespaces" && parts[5] == "horizontalpodautoscalers"
}
