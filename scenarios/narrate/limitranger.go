package narrate

import (
	"strings"

	"github.com/kubesim/kubesim/components/apiserver"
)

// limitRangerNote narrates what the LimitRanger admission plugin did: the
// defaults it filled in, or the constraints the object broke.
func limitRangerNote(b apiserver.LimitRangerNote) Text {
	if len(b.Violations) > 0 {
		var en, ko []string
		for _, v := range b.Violations {
			e, k := limitViolation(v)
			en, ko = append(en, e), append(ko, k)
		}
		return Text{
			En: "LimitRanger refuses " + b.Kind + " " + b.Namespace + "/" + b.Name + " (403 Forbidden, nothing is stored): " + strings.Join(en, "; ") + ".",
			Ko: "LimitRanger가 " + b.Kind + " " + b.Namespace + "/" + b.Name + "를 거부합니다 (403 Forbidden, 아무것도 저장되지 않음): " + strings.Join(ko, "; ") + ".",
		}
	}
	var en, ko []string
	for _, d := range b.Defaults {
		what, whatKo := "container", "컨테이너"
		if d.Init {
			what, whatKo = "init container", "초기화 컨테이너"
		}
		var parts, partsKo []string
		if len(d.Requests) > 0 {
			parts = append(parts, "requests "+values(d.Requests))
			partsKo = append(partsKo, "요청 "+values(d.Requests))
		}
		if len(d.Limits) > 0 {
			parts = append(parts, "limits "+values(d.Limits))
			partsKo = append(partsKo, "제한 "+values(d.Limits))
		}
		en = append(en, what+" "+d.Container+" gets "+strings.Join(parts, " and ")+" from LimitRange "+d.From)
		ko = append(ko, whatKo+" "+d.Container+"에 LimitRange "+d.From+"의 "+strings.Join(partsKo, ", ")+" 적용")
	}
	return Text{
		En: "LimitRanger fills in the resources pod " + b.Namespace + "/" + b.Name + " left out: " + strings.Join(en, "; ") +
			". It notes this in the pod's kubernetes.io/limit-ranger annotation; later admission plugins, ResourceQuota among them, see these values.",
		Ko: "LimitRanger가 파드 " + b.Namespace + "/" + b.Name + "에 빠진 리소스를 채웁니다: " + strings.Join(ko, "; ") +
			". 이를 파드의 kubernetes.io/limit-ranger 어노테이션에 남기며, ResourceQuota를 비롯한 뒤의 어드미션 플러그인은 이 값을 봅니다.",
	}
}

func values(vs []apiserver.LimitRangerValue) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = string(v.Resource) + "=" + v.Value
	}
	return strings.Join(parts, ", ")
}

// limitViolation says one broken constraint in both languages.
func limitViolation(v apiserver.LimitRangerViolation) (en, ko string) {
	field, fieldKo := v.Field, map[string]string{"request": "요청", "limit": "제한", "ratio": "비율"}[v.Field]
	switch {
	case v.Constraint == "maxLimitRequestRatio" && v.Observed == "":
		return "LimitRange " + v.LimitRange + " caps the " + string(v.Resource) + " limit/request ratio per " + string(v.Type) + " at " + v.Enforced + ", which needs a non-zero " + field,
			"LimitRange " + v.LimitRange + "는 " + string(v.Type) + "당 " + string(v.Resource) + " 제한/요청 비율을 " + v.Enforced + "로 묶으므로 0이 아닌 " + fieldKo + "이 필요합니다"
	case v.Constraint == "maxLimitRequestRatio":
		return "LimitRange " + v.LimitRange + " caps the " + string(v.Resource) + " limit/request ratio per " + string(v.Type) + " at " + v.Enforced + ", and it is " + v.Observed,
			"LimitRange " + v.LimitRange + "는 " + string(v.Type) + "당 " + string(v.Resource) + " 제한/요청 비율을 " + v.Enforced + "로 묶는데 실제는 " + v.Observed + "입니다"
	case v.Observed == "":
		return "LimitRange " + v.LimitRange + " sets a " + v.Constraint + " of " + v.Enforced + " " + string(v.Resource) + " per " + string(v.Type) + ", and no " + field + " is given",
			"LimitRange " + v.LimitRange + "는 " + string(v.Type) + "당 " + string(v.Resource) + " " + minMaxKo(v.Constraint) + " " + v.Enforced + "를 정하는데 " + fieldKo + "이 없습니다"
	}
	return "LimitRange " + v.LimitRange + " sets a " + v.Constraint + " of " + v.Enforced + " " + string(v.Resource) + " per " + string(v.Type) + ", and the " + field + " is " + v.Observed,
		"LimitRange " + v.LimitRange + "는 " + string(v.Type) + "당 " + string(v.Resource) + " " + minMaxKo(v.Constraint) + " " + v.Enforced + "를 정하는데 " + fieldKo + "이 " + v.Observed + "입니다"
}

func minMaxKo(c string) string {
	if c == "min" {
		return "최솟값"
	}
	return "최댓값"
}
