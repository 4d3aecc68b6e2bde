// Package narrate turns trace records into sentences for trainees, in
// English and Korean: what each component does at each step, and why.
//
// Narration is computed from the records' typed fields — the body a
// message carried (an apiwire.Request, an etcd transaction, a Cilium
// verdict), the note a component wrote (RBAC's decision, the scheduler's
// cycle), the record's event, and its links (Cause, InReplyTo) — never from
// the summary's wording: every fact a sentence states comes from the run.
// Records without a typed body get no sentence of their own beyond what
// the record line already shows.
package narrate

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/cilium"
	"github.com/kubesim/kubesim/components/cilium/agent"
	"github.com/kubesim/kubesim/components/cni"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/components/datapath"
	"github.com/kubesim/kubesim/components/dns/coredns"
	"github.com/kubesim/kubesim/components/etcd"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/components/leaderelection"
	"github.com/kubesim/kubesim/components/metricsserver"
	"github.com/kubesim/kubesim/components/proxy"
	"github.com/kubesim/kubesim/components/proxy/kubeproxy"
	"github.com/kubesim/kubesim/components/scheduler"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

// Lang is a narration language.
type Lang string

// Languages.
const (
	English Lang = "en"
	Korean  Lang = "ko"
)

// ParseLang accepts "en" or "ko".
func ParseLang(s string) (Lang, error) {
	switch Lang(s) {
	case English, Korean:
		return Lang(s), nil
	}
	return "", fmt.Errorf("unknown language %q: expected en or ko", s)
}

// Text is a sentence in both languages.
type Text struct{ En, Ko string }

// In picks the language (English when the Korean is missing).
func (t Text) In(lang Lang) string {
	if lang == Korean && t.Ko != "" {
		return t.Ko
	}
	return t.En
}

// Summary implements sim.Summarizer (the English text).
func (t Text) Summary() string { return t.En }

// component names an actor by what it is: "kube-apiserver-cp-1" is a
// kube-apiserver.
func component(actor string) string {
	for _, c := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kubelet", "kube-proxy", "coredns", "cilium-operator", "cilium-agent", "containerd", "datapath"} {
		if strings.HasPrefix(actor, c) {
			return c
		}
	}
	return actor
}

// Line narrates one record; it returns "" for records not worth a sentence
// (timers, marks).
func Line(r sim.Record, lang Lang) string {
	t, ok := line(r)
	if !ok {
		return ""
	}
	return t.In(lang)
}

// Typed reports whether the record's narration comes from its typed
// fields (as opposed to the generic line for a record kubesim does not
// explain further).
func Typed(r sim.Record) bool {
	t, ok := line(r)
	return ok && t != generic(r)
}

func text(en, ko string, args ...any) Text {
	return Text{En: fmt.Sprintf(en, args...), Ko: fmt.Sprintf(ko, args...)}
}

func line(r sim.Record) (Text, bool) {
	switch r.Event {
	case sim.EventTimer, sim.EventMark, sim.EventExit:
		return Text{}, false
	case sim.EventDrop:
		return text("The message from %s to %s is lost: %s.", "%s에서 %s(으)로 가는 메시지가 사라졌습니다: %s.", r.From, r.To, r.Summary()), true
	case sim.EventTimeout:
		return text("%s gives up waiting for %s's answer to its %s: no reply in time, the call fails with a timeout.",
			"%s이(가) %s의 %s 응답을 기다리다 포기합니다: 제시간에 답이 없어 호출이 시간 초과로 실패합니다.", r.From, r.To, r.Kind), true
	case sim.EventCrash:
		return text("%s stops (%s): its memory, timers and open connections are gone.", "%s이(가) 멈춥니다 (%s): 메모리, 타이머, 열린 연결이 모두 사라집니다.", r.To, r.Summary()), true
	case sim.EventStart:
		if r.Summary() != "start" {
			return text("%s starts again on %s (%s): it begins from its durable state alone.", "%s이(가) %s에서 다시 시작합니다 (%s): 영속된 상태만으로 처음부터 시작합니다.", r.To, r.Node, r.Summary()), true
		}
		return text("%s starts on %s.", "%s이(가) %s에서 시작합니다.", r.To, r.Node), true
	case sim.EventFault:
		return text("A fault is injected: %s.", "장애를 주입합니다: %s.", r.Summary()), true
	case sim.EventNote:
		if t, ok := note(r); ok {
			return t, true
		}
	case sim.EventDeliver:
		if t, ok := delivery(r); ok {
			return t, true
		}
	case sim.EventReply:
		if t, ok := reply(r); ok {
			return t, true
		}
	}
	return generic(r), true
}

// generic restates a record kubesim does not explain further.
func generic(r sim.Record) Text {
	s := r.Summary()
	if r.Event == sim.EventNote {
		return text("%s: %s", "%s: %s", r.From, s)
	}
	if s == "" {
		return text("%s -> %s: %s", "%s -> %s: %s", r.From, r.To, r.Kind)
	}
	return text("%s -> %s: %s %s", "%s -> %s: %s %s", r.From, r.To, r.Kind, s)
}

func note(r sim.Record) (Text, bool) {
	switch b := r.Body().(type) {
	case apiserver.AuthnNote:
		switch {
		case b.Invalid:
			return text("Authentication fails: the bearer token matches no user or service account, so kube-apiserver answers 401 Unauthorized before anything else.",
				"인증 실패: bearer 토큰이 어떤 사용자나 서비스 어카운트와도 맞지 않아, kube-apiserver가 다른 단계 전에 401 Unauthorized로 응답합니다."), true
		case b.Invalid && b.Certificate:
			return text("Authentication fails: the client certificate names no user (an empty CN), so kube-apiserver answers 401 Unauthorized before anything else.",
				"인증 실패: 클라이언트 인증서가 사용자를 나타내지 않아(CN 이 비어 있음), kube-apiserver가 다른 단계 전에 401 Unauthorized로 응답합니다."), true
		case b.Certificate:
			return text("Authentication: the client certificate, signed by the cluster CA, is user %q (its CN), in groups %s (its O, and system:authenticated).",
				"인증: 클러스터 CA 가 서명한 클라이언트 인증서의 주인은 사용자 %q(CN)이고, 그룹은 %s(O 와 system:authenticated)입니다.", b.User.Name, strings.Join(b.User.Groups, ", ")), true
		case b.User.Name == apiserver.Anonymous:
			return text("Authentication: the request carries no credential, so it is user %q (group %s).",
				"인증: 요청에 자격 증명이 없어 사용자 %q(그룹 %s)로 처리됩니다.", b.User.Name, strings.Join(b.User.Groups, ", ")), true
		}
		return text("Authentication: the bearer token is user %q, in groups %s.",
			"인증: bearer 토큰의 주인은 사용자 %q이고, 그룹은 %s입니다.", b.User.Name, strings.Join(b.User.Groups, ", ")), true
	case apiserver.AuthzNote:
		res := b.Resource
		if b.Subresource != "" {
			res += "/" + b.Subresource
		}
		if !b.Allowed {
			return text("Authorization: no RBAC binding grants %q the verb %s on %s, so kube-apiserver answers 403 Forbidden.",
				"인가: 어떤 RBAC 바인딩도 %[1]q에게 %[3]s의 %[2]s 동사를 허용하지 않아, kube-apiserver가 403 Forbidden으로 응답합니다.", b.User, b.Verb, res), true
		}
		binding := b.BindingKind + " " + quote(b.BindingName)
		if b.BindingKind == "RoleBinding" {
			binding = b.BindingKind + " " + quote(b.BindingNamespace+"/"+b.BindingName)
		}
		return text("Authorization: %s binds %s %q to %s %q, whose rule (%s) allows %s on %s.",
			"인가: %[1]s이(가) %[2]s %[3]q를 %[4]s %[5]q에 묶고, 그 규칙(%[6]s)이 %[8]s의 %[7]s을(를) 허용합니다.",
			binding, b.Subject.Kind, b.Subject.Name, b.RoleKind, b.RoleName, apiserver.RuleText(b.Rule), b.Verb, res), true
	case apiserver.DefaultsNote:
		return text("Defaulting fills in what the manifest of %s %q left out: %s.", "기본값 설정이 %s %q 매니페스트에 빠진 필드를 채웁니다: %s.",
			b.Kind, b.Name, strings.Join(b.Fields, ", ")), true
	case apiserver.AdmissionNote:
		if b.RejectedBy != "" {
			return text("Admission: the %s plugin rejects the request: %s.", "어드미션: %s 플러그인이 요청을 거부합니다: %s.", b.RejectedBy, b.Reason), true
		}
		var en, ko []string
		for _, c := range b.Changes {
			en = append(en, c.Plugin+" sets "+c.Change)
			ko = append(ko, c.Plugin+"이(가) "+c.Change+" 설정")
		}
		return Text{En: "Mutating admission changes the object before it is stored: " + strings.Join(en, "; ") + ".",
			Ko: "변경 어드미션이 저장 전에 객체를 바꿉니다: " + strings.Join(ko, "; ") + "."}, true
	case apiserver.ValidationNote:
		if b.Err != "" {
			return text("Validation refuses %s %q: %s. Nothing is stored.", "검증이 %s %q를 거부합니다: %s. 아무것도 저장되지 않습니다.", b.Kind, b.Name, b.Err), true
		}
		return text("Validation: %s %q is well-formed (names, required fields, allowed values); it can be stored.",
			"검증: %s %q는 올바릅니다(이름, 필수 필드, 허용 값). 저장할 수 있습니다.", b.Kind, b.Name), true
	case apiserver.CRDNote:
		return crdNote(b), true
	case apiserver.CustomNote:
		return customNote(b), true
	case apiserver.AllocationNote:
		if b.ClusterIP == "" || b.ClusterIP == "None" {
			return text("Service %s/%s is headless: no ClusterIP; DNS will answer with its endpoints' addresses.",
				"Service %s/%s는 헤드리스입니다: ClusterIP가 없고, DNS가 엔드포인트 주소로 응답합니다.", b.Namespace, b.Name), true
		}
		return text("The Service IP allocator reserved %s for %s/%s in the same etcd transaction as the Service (an IPAddress object), so no two Services get it.",
			"Service IP 할당기가 Service와 같은 etcd 트랜잭션에서 %s를 %s/%s에 예약했습니다 (IPAddress 객체). 두 Service가 같은 IP를 받을 수 없습니다.", b.ClusterIP, b.Namespace, b.Name), true
	case apiserver.EvictionNote:
		return evictionNote(b), true
	case apiserver.LimitRangerNote:
		return limitRangerNote(b), true
	case kubelet.ConfigVolumeNote:
		return configVolumeNote(b), true
	case controllers.HPADecision:
		return hpaNote(b), true
	case metricsserver.Scrape:
		return text("metrics-server scrapes the resource metrics of %d of %d kubelets; a pod's CPU use is the rate between its last two samples.",
			"metrics-server가 kubelet %[2]d개 중 %[1]d개의 리소스 메트릭을 수집합니다. 파드의 CPU 사용량은 마지막 두 샘플 사이의 변화율입니다.", b.Scraped, b.Nodes), true
	case scheduler.ScheduleNote:
		if b.Failure != "" {
			return text("kube-scheduler finds no node for %s/%s: %s It puts the pod back in the queue and retries when the cluster changes.",
				"kube-scheduler가 %s/%s를 둘 노드를 찾지 못합니다: %s 파드를 큐에 되돌리고 클러스터가 바뀌면 다시 시도합니다.", b.Namespace, b.Name, b.Failure), true
		}
		if b.Feasible == 1 {
			return text("kube-scheduler's cycle for %s/%s: of %d nodes only %s passes the filters, so there is nothing to score; it assumes the pod there and binds.",
				"%s/%s의 스케줄링 사이클: 노드 %d개 중 %s만 필터를 통과해 점수 매길 것이 없습니다. 그곳에 파드를 가정하고 바인딩합니다.", b.Namespace, b.Name, b.Evaluated, b.Node), true
		}
		return text("kube-scheduler's cycle for %s/%s: %d of %d nodes pass the filters; the score plugins rank them and %s wins. It assumes the pod there in its cache and binds.",
			"%s/%s의 스케줄링 사이클: 노드 %d/%d개가 필터를 통과했고, 점수 플러그인이 순위를 매겨 %s가 선택됩니다. 캐시에 파드를 그곳에 가정하고 바인딩합니다.", b.Namespace, b.Name, b.Feasible, b.Evaluated, b.Node), true
	case scheduler.VolumeBindingNote:
		return volumeBindingNote(b), true
	case scheduler.PreemptionNote:
		return preemptionNote(b), true
	case kubelet.PodNote:
		return podNote(r, b), true
	case agent.EndpointNote:
		if b.Removed {
			return text("The Cilium agent removes endpoint %d of %s and returns its IP %s to the node's pool.",
				"Cilium 에이전트가 %[2]s의 엔드포인트 %[1]d를 지우고 IP %[3]s를 노드 풀에 돌려줍니다.", b.ID, b.Pod, b.IP), true
		}
		if b.NewIdentity {
			return text("The Cilium agent creates endpoint %d for %s: IP %s from the node's pod CIDR, and a new security identity %d, the lowest free one, because no pod had these labels before.",
				"Cilium 에이전트가 %[2]s의 엔드포인트 %[1]d를 만듭니다: 노드의 파드 CIDR에서 IP %[3]s를, 이 레이블을 가진 파드가 처음이라 비어 있는 가장 작은 새 보안 아이덴티티 %[4]d를 줍니다.", b.ID, b.Pod, b.IP, b.Identity), true
		}
		return text("The Cilium agent creates endpoint %d for %s: IP %s from the node's pod CIDR, and security identity %d, which every pod with the same labels shares.",
			"Cilium 에이전트가 %[2]s의 엔드포인트 %[1]d를 만듭니다: 노드의 파드 CIDR에서 IP %[3]s를, 같은 레이블의 파드들이 함께 쓰는 보안 아이덴티티 %[4]d를 줍니다.", b.ID, b.Pod, b.IP, b.Identity), true
	case kubeproxy.SyncNote:
		kind := text("a partial sync", "부분 동기화")
		if b.Full {
			kind = text("a full sync", "전체 동기화")
		}
		if b.EBPF {
			return text("kube-proxy on %s (%s) writes the eBPF service maps: %d frontends, %d backends.",
				"%s의 kube-proxy가 (%s) eBPF 서비스 맵을 씁니다: 프런트엔드 %d개, 백엔드 %d개.", b.Node, kind.En, b.Frontends, b.Backends), true
		}
		return Text{En: fmt.Sprintf("kube-proxy on %s (%s) rewrites the node's rules from the Services and EndpointSlices it watches: %d rules for %d service ports.", b.Node, kind.En, b.Rules, b.Services),
			Ko: fmt.Sprintf("%s의 kube-proxy가 (%s) watch한 Service와 EndpointSlice로 노드 규칙을 다시 씁니다: 서비스 포트 %d개에 규칙 %d개.", b.Node, kind.Ko, b.Services, b.Rules)}, true
	case controllers.CronJobNote:
		return cronJobNote(b), true
	case controllers.JobPodFailureNote:
		return jobPodFailureNote(b), true
	case leaderelection.Note:
		switch {
		case !b.Leading:
			return text("%s stops leading %s: it could not renew the lease in time, so it stops acting (another candidate takes over once the lease expires).",
				"%s이(가) %s의 리더를 그만둡니다: 제때 리스를 갱신하지 못해 동작을 멈춥니다 (리스가 만료되면 다른 후보가 이어받습니다).", b.Identity, b.Lease), true
		case b.WaitedFor != "":
			return text("%[1]s becomes leader of %[3]s after waiting %[2]s: %[4]s's lease (%[5]s long) had to expire first.",
				"%s이(가) %s 동안 기다린 뒤 %s의 리더가 됩니다: %s의 리스(%s)가 먼저 만료되어야 했습니다.", b.Identity, short(b.Waited), b.Lease, b.WaitedFor, short(b.LeaseDuration)), true
		}
		return text("%s becomes leader of %s at once: no other candidate held a valid lease.",
			"%s이(가) 곧바로 %s의 리더가 됩니다: 유효한 리스를 가진 다른 후보가 없었습니다.", b.Identity, b.Lease), true
	}
	return Text{}, false
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// clock writes a schedule time as the trace shows virtual time: UTC.
func clock(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func cronJobNote(b controllers.CronJobNote) Text {
	cj := objName(b.Namespace, b.Name)
	switch b.Decision {
	case controllers.CronJobCreated:
		return text("The CronJob controller creates Job %s for %s's schedule time %s: the name carries that time in minutes since the epoch, so one time never gets two Jobs. Its next time is %s.",
			"CronJob 컨트롤러가 %[2]s의 예정 시각 %[3]s에 Job %[1]s를 만듭니다: 이름에 그 시각(epoch 이후 분)이 들어 있어 한 시각에 Job이 두 개 생기지 않습니다. 다음 시각은 %[4]s입니다.",
			b.Job, cj, clock(b.Scheduled), clock(b.Next))
	case controllers.CronJobForbidden:
		return text("%s is due at %s, but its Job %s is still running and concurrencyPolicy is Forbid: the controller skips this time (JobAlreadyActive) and looks again at %s.",
			"%s의 예정 시각 %s이 되었지만 Job %s가 아직 실행 중이고 concurrencyPolicy가 Forbid입니다: 컨트롤러는 이번 시각을 건너뛰고(JobAlreadyActive) %s에 다시 봅니다.",
			cj, clock(b.Scheduled), b.Job, clock(b.Next))
	case controllers.CronJobReplaced:
		return text("concurrencyPolicy Replace: the CronJob controller deletes %s's still-running Job %s so that the Job of %s takes its place.",
			"concurrencyPolicy Replace: CronJob 컨트롤러가 %s의 아직 실행 중인 Job %s를 지우고, %s의 Job이 그 자리를 이어받게 합니다.",
			cj, b.Job, clock(b.Scheduled))
	case controllers.CronJobMissed:
		return text("%s's schedule time %s is more than startingDeadlineSeconds (%ds) ago: too late to start, the controller skips it (MissSchedule).",
			"%s의 예정 시각 %s은 startingDeadlineSeconds(%d초)보다 오래전입니다: 시작하기에 늦어 컨트롤러가 건너뜁니다(MissSchedule).",
			cj, clock(b.Scheduled), b.Limit)
	case controllers.CronJobTooManyMissed:
		return text("%s missed about %d start times, more than 100: the controller does not run them all; it starts only the latest, %s, and warns (TooManyMissedTimes).",
			"%s는 시작 시각을 약 %d번 놓쳤습니다(100번 초과): 컨트롤러는 모두 실행하지 않고 가장 최근의 %s만 시작하며 경고합니다(TooManyMissedTimes).",
			cj, b.Limit, clock(b.Scheduled))
	case controllers.CronJobSawCompleted:
		return text("Job %s of %s finished (%s): the CronJob controller takes it out of status.active.",
			"%[2]s의 Job %[1]s가 끝났습니다(%[3]s): CronJob 컨트롤러가 status.active에서 뺍니다.", b.Job, cj, b.Condition)
	case controllers.CronJobPruned:
		limit := "successfulJobsHistoryLimit"
		if b.Condition == api.JobFailed {
			limit = "failedJobsHistoryLimit"
		}
		return text("%s keeps only %d finished Jobs of this kind (%s): the CronJob controller deletes the oldest, %s; the garbage collector then removes its pods.",
			"%s는 이런 종료된 Job을 %d개만 남깁니다(%s): CronJob 컨트롤러가 가장 오래된 %s를 지우고, 가비지 컬렉터가 그 파드를 지웁니다.",
			cj, b.Limit, limit, b.Job)
	}
	return text("The CronJob controller: %s.", "CronJob 컨트롤러: %s.", b.Summary())
}

func jobPodFailureNote(b controllers.JobPodFailureNote) Text {
	job := objName(b.Namespace, b.Job)
	what := text("container %s exited with code %d", "컨테이너 %s가 코드 %d로 종료했고", b.Container, b.ExitCode)
	if b.Container == "" {
		what = text("it has condition %s", "조건 %s가 있고", b.Condition)
	}
	switch b.Action {
	case api.PodFailurePolicyActionFailJob:
		return Text{En: fmt.Sprintf("Pod %s of Job %s failed: %s, which matches rule %d of the Job's podFailurePolicy (FailJob). The Job fails at once with reason PodFailurePolicy, without retrying up to backoffLimit.", b.Pod, job, what.En, b.Rule),
			Ko: fmt.Sprintf("Job %s의 파드 %s가 실패했습니다: %s, 이는 Job의 podFailurePolicy 규칙 %d(FailJob)에 맞습니다. Job은 backoffLimit까지 재시도하지 않고 곧바로 PodFailurePolicy 이유로 실패합니다.", job, b.Pod, what.Ko, b.Rule)}
	case api.PodFailurePolicyActionIgnore:
		return Text{En: fmt.Sprintf("Pod %s of Job %s failed: %s, which matches rule %d of the Job's podFailurePolicy (Ignore). The failure does not count towards backoffLimit, and a replacement starts without back-off.", b.Pod, job, what.En, b.Rule),
			Ko: fmt.Sprintf("Job %s의 파드 %s가 실패했습니다: %s, 이는 Job의 podFailurePolicy 규칙 %d(Ignore)에 맞습니다. 이 실패는 backoffLimit에 세지 않고, 대체 파드가 백오프 없이 시작합니다.", job, b.Pod, what.Ko, b.Rule)}
	}
	return Text{En: fmt.Sprintf("Pod %s of Job %s failed: %s, which matches rule %d of the Job's podFailurePolicy (%s). The failure counts towards backoffLimit as usual.", b.Pod, job, what.En, b.Rule, b.Action),
		Ko: fmt.Sprintf("Job %s의 파드 %s가 실패했습니다: %s, 이는 Job의 podFailurePolicy 규칙 %d(%s)에 맞습니다. 이 실패는 평소처럼 backoffLimit에 셉니다.", job, b.Pod, what.Ko, b.Rule, b.Action)}
}

func short(d interface{ String() string }) string { return d.String() }

// volumeBindingNote explains VolumeBinding's binding step from what it
// decided: claims to provision on the node, volumes to bind, claims still
// awaited; or, once all are Bound, that the pod is bound.
func volumeBindingNote(b scheduler.VolumeBindingNote) Text {
	if len(b.Bound) > 0 {
		return text("The claims %s of %s/%s are Bound, so kube-scheduler's binding cycle goes on: it binds the pod to %s.",
			"%[2]s/%[3]s의 클레임 %[1]s가 Bound가 되어 kube-scheduler의 바인딩 사이클이 계속됩니다: 파드를 %[4]s에 바인딩합니다.", strings.Join(b.Bound, ", "), b.Namespace, b.Name, b.Node)
	}
	var en, ko []string
	if len(b.Provision) > 0 {
		list := strings.Join(b.Provision, ", ")
		en = append(en, fmt.Sprintf("it annotates claim(s) %s with volume.kubernetes.io/selected-node=%s, so that their provisioner makes a volume on that node", list, b.Node))
		ko = append(ko, fmt.Sprintf("클레임 %s에 volume.kubernetes.io/selected-node=%s 어노테이션을 달아 프로비저너가 그 노드에 볼륨을 만들게 합니다", list, b.Node))
	}
	for _, p := range b.Bind {
		en = append(en, fmt.Sprintf("it writes claim %s into the claimRef of the existing volume %s", p.Claim, p.Volume))
		ko = append(ko, fmt.Sprintf("기존 볼륨 %s의 claimRef에 클레임 %s를 씁니다", p.Volume, p.Claim))
	}
	if len(en) == 0 {
		en = append(en, "the claims are already being bound")
		ko = append(ko, "클레임은 이미 바인딩되는 중입니다")
	}
	waiting := strings.Join(b.Waiting, ", ")
	return Text{
		En: fmt.Sprintf("VolumeBinding's PreBind for %s/%s on %s: %s. The pod stays assumed on %s and is bound only once %s are Bound.",
			b.Namespace, b.Name, b.Node, strings.Join(en, "; "), b.Node, waiting),
		Ko: fmt.Sprintf("%s/%s에 대한 VolumeBinding의 PreBind (%s): %s. 파드는 %s에 가정된 채로 있고, %s가 Bound가 된 뒤에야 바인딩됩니다.",
			b.Namespace, b.Name, b.Node, strings.Join(ko, "; "), b.Node, waiting),
	}
}

func podNote(r sim.Record, b kubelet.PodNote) Text {
	switch b.Step {
	case kubelet.StepSandbox:
		return text("The kubelet on %s starts %s: first the pod sandbox (RunPodSandbox on containerd), whose network namespace the CNI plugin will wire up.",
			"%s의 kubelet이 %s를 시작합니다: 먼저 파드 샌드박스(containerd의 RunPodSandbox)를 만들고, 그 네트워크 네임스페이스를 CNI 플러그인이 연결합니다.", r.Node, b.Pod)
	case kubelet.StepSandboxReady:
		return text("The sandbox of %s is ready with pod IP %s: the kubelet can pull the images and start the containers.",
			"%s의 샌드박스가 파드 IP %s로 준비되었습니다: kubelet이 이미지를 받고 컨테이너를 시작할 수 있습니다.", b.Pod, b.IP)
	case kubelet.StepStarted:
		return text("The kubelet started container %s of %s (containerd://%s); it reports the new status to kube-apiserver.",
			"kubelet이 %[2]s의 컨테이너 %[1]s를 시작했습니다 (containerd://%[3]s). 새 상태를 kube-apiserver에 보고합니다.", b.Container, b.Pod, b.ContainerID)
	case kubelet.StepExited:
		return text("Container %s of %s exited with code %d (%s).", "%[2]s의 컨테이너 %[1]s가 코드 %[3]d로 종료했습니다 (%[4]s).", b.Container, b.Pod, b.ExitCode, b.Reason)
	case kubelet.StepKilling:
		return text("The kubelet stops %s: SIGTERM to its containers, and SIGKILL to any still running after the %s grace period.",
			"kubelet이 %s를 멈춥니다: 컨테이너에 SIGTERM을 보내고, 유예 기간 %s 뒤에도 실행 중이면 SIGKILL을 보냅니다.", b.Pod, short(b.Grace))
	case kubelet.StepVolumesWaiting:
		return text("The kubelet on %s cannot mount volumes %s of %s yet: their claims are not Bound, so it makes no sandbox and checks again every second.",
			"%s의 kubelet은 아직 %[3]s의 볼륨 %[2]s를 마운트할 수 없습니다: 클레임이 Bound가 아니므로 샌드박스를 만들지 않고 1초마다 다시 확인합니다.", r.Node, strings.Join(b.Volumes, ", "), b.Pod)
	case kubelet.StepVolumesMounted:
		return text("The claims %s of %s are Bound: the kubelet on %s mounts their volumes and goes on to the sandbox.",
			"%[2]s의 클레임 %[1]s가 Bound입니다: %[3]s의 kubelet이 볼륨을 마운트하고 샌드박스로 넘어갑니다.", strings.Join(b.Volumes, ", "), b.Pod, r.Node)
	case kubelet.StepDeleted:
		return text("%s's containers and sandbox are gone, so the kubelet deletes the pod object for good (grace period 0).",
			"%s의 컨테이너와 샌드박스가 사라져, kubelet이 파드 객체를 완전히 지웁니다 (유예 기간 0).", b.Pod)
	}
	return generic(r)
}

func delivery(r sim.Record) (Text, bool) {
	switch b := r.Body().(type) {
	case *apiwire.Request:
		return request(r, b), true
	case *apiwire.WatchEvent:
		return watchEvent(r, b), true
	case etcd.TxnRequest:
		return txn(b), true
	case etcd.RangeRequest:
		return text("%s reads %s straight from etcd (a quorum read): an update must start from the latest revision.",
			"%s이(가) etcd에서 %s를 직접 읽습니다 (쿼럼 읽기): 업데이트는 최신 revision에서 시작해야 합니다.", component(r.From), b.Key), true
	case *etcd.WatchResponse:
		if b.Canceled {
			return text("etcd cancels the watch of %s: %s. The watcher must open a new one (or relist).",
				"etcd가 %s의 watch를 취소합니다: %s. watcher는 새 watch를 열어야(또는 다시 list해야) 합니다.", r.To, b.CancelReason), true
		}
		if len(b.Events) == 0 {
			return text("etcd tells %s that its watch has seen everything up to revision %d (a progress notification).",
				"etcd가 %s에게 revision %d까지 모두 보았다고 알립니다 (진행 알림).", r.To, b.Header.Revision), true
		}
		return text("etcd's watch stream carries revision %d to %s's watch cache: %d change(s). Every kube-apiserver learns of every write this way.",
			"etcd의 watch 스트림이 revision %d를 %s의 watch 캐시로 전합니다: 변경 %d개. 모든 kube-apiserver가 이렇게 모든 쓰기를 알게 됩니다.", b.Header.Revision, r.To, len(b.Events)), true
	case cni.AddRequest:
		return text("The kubelet on %s asks the node's CNI plugin, the Cilium agent, to wire up %s/%s's sandbox (CNI ADD).",
			"%s의 kubelet이 노드의 CNI 플러그인인 Cilium 에이전트에게 %s/%s 샌드박스의 네트워크 연결을 요청합니다 (CNI ADD).", r.Node, b.Namespace, b.Name), true
	case cni.DelRequest:
		return text("The kubelet asks Cilium to tear down the network of %s/%s (CNI DEL).", "kubelet이 Cilium에 %s/%s의 네트워크 해제를 요청합니다 (CNI DEL).", b.Namespace, b.Name), true
	case proxy.Packet:
		return text("A packet leaves the pod for %s; the node's netfilter walks the nat rules kube-proxy programmed.",
			"패킷이 %s로 파드를 떠나고, 노드의 netfilter가 kube-proxy가 만든 nat 규칙을 따라갑니다.", b.Dst), true
	case agent.VerdictRequest:
		return text("Cilium on %s enforces %s policy on the connection's first packet, %s:%d -> %s:%d.",
			"%[1]s의 Cilium이 연결의 첫 패킷(%[3]s:%[4]d -> %[5]s:%[6]d)에 %[2]s 정책을 적용합니다.", r.Node, strings.ToLower(string(b.Direction)), b.Src, b.SrcPort, b.Dst, b.DstPort), true
	case kubelet.ServeRequest:
		return text("The node's container runtime hands the request to the process of container %s in %s/%s: %s %s on port %d.",
			"노드의 컨테이너 런타임이 요청을 %[2]s/%[3]s의 컨테이너 %[1]s 프로세스에 넘깁니다: 포트 %[6]d로 %[4]s %[5]s.",
			b.Container, b.Namespace, b.Pod, b.Request.Method, b.Request.Path, b.Request.Port), true
	case agent.DeliverRequest:
		return text("Cilium hands the packet to the endpoint's interface: does a process listen on %s?",
			"Cilium이 패킷을 엔드포인트 인터페이스로 넘깁니다: %s에서 듣는 프로세스가 있을까요?", b.Dst), true
	case coredns.Query:
		return text("The pod's resolver asks CoreDNS (resolv.conf names kube-dns at 10.96.0.10) for %s %s.",
			"파드의 리졸버가 CoreDNS(resolv.conf의 kube-dns, 10.96.0.10)에 %s %s를 묻습니다.", b.Msg.Q().Type, b.Msg.Q().Name), true
	case datapath.Program:
		return text("kube-proxy hands the node its new rule set (iptables-restore): %s.", "kube-proxy가 노드에 새 규칙(iptables-restore)을 넘깁니다: %s.", b.Summary()), true
	case kubelet.ManifestsChanged:
		return text("inotify tells the kubelet on %s that %s changed: it reads its static pod manifests again, restarts the pods whose manifest changed and stops those whose manifest went.",
			"inotify가 %s의 kubelet에게 %s가 바뀌었다고 알립니다: kubelet은 정적 파드 매니페스트를 다시 읽고, 매니페스트가 바뀐 파드는 다시 시작하고 사라진 파드는 멈춥니다.", r.Node, b.Path), true
	case cluster.NodeCommand:
		return nodeCommand(r, b), true
	case sim.Down:
		return text("%s learns that %s is gone (%s): its connection broke.", "%s이(가) %s가 사라졌음을 알게 됩니다 (%s): 연결이 끊겼습니다.", r.To, b.Name, b.Reason), true
	}
	return Text{}, false
}

// request narrates a client's call to kube-apiserver.
func request(r sim.Record, b *apiwire.Request) Text {
	what := b.Resource
	if b.Name != "" {
		what += " " + objName(b.Namespace, b.Name)
	} else if b.Namespace != "" {
		what += " in namespace " + b.Namespace
	}
	switch {
	case b.Verb == apiwire.VerbWatch:
		return text("%s asks kube-apiserver to watch %s: the apiserver will push every change from its watch cache, without being asked again.",
			"%s이(가) kube-apiserver에 %s watch를 요청합니다: apiserver가 다시 묻지 않아도 watch 캐시의 모든 변경을 보내 줍니다.", r.From, what)
	case b.Subresource == "binding":
		node := ""
		if bd, ok := b.Object.(*api.Binding); ok {
			node = bd.Target.Name
		}
		return text("%s posts a Binding of %s to node %s: the only way spec.nodeName gets set.",
			"%s이(가) %s를 노드 %s에 묶는 Binding을 보냅니다: spec.nodeName이 정해지는 유일한 방법입니다.", r.From, objName(b.Namespace, b.Name), node)
	case b.Subresource == "status":
		return text("%s reports %s's status through the status subresource (the spec stays untouched).",
			"%s이(가) status 하위 리소스로 %s의 상태를 보고합니다 (spec은 그대로입니다).", r.From, objName(b.Namespace, b.Name))
	case b.Verb == apiwire.VerbCreate && b.Object != nil:
		m := b.Object.GetObjectMeta()
		name := m.Name
		if name == "" {
			name = m.GenerateName + "*"
		}
		return text("%s asks kube-apiserver to create %s %s — the only way into the cluster's state. The request walks authentication, authorization, admission and validation before etcd.",
			"%s이(가) kube-apiserver에 %s %s 생성을 요청합니다 — 클러스터 상태로 들어가는 유일한 관문입니다. 요청은 etcd 전에 인증, 인가, 어드미션, 검증을 거칩니다.", r.From, b.Object.GetTypeMeta().Kind, objName(m.Namespace, name))
	}
	return text("%s sends %s %s to kube-apiserver.", "%s이(가) kube-apiserver에 %s %s 요청을 보냅니다.", r.From, strings.ToUpper(b.Verb), what)
}

func objName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

func watchEvent(r sim.Record, b *apiwire.WatchEvent) Text {
	switch b.Type {
	case apiwire.Error:
		return text("kube-apiserver ends %s's watch with an error (%v): the watcher lists again and watches from the new resourceVersion.",
			"kube-apiserver가 오류로 %s의 watch를 끝냅니다 (%v): watcher는 다시 list한 뒤 새 resourceVersion부터 watch합니다.", r.To, b.Err)
	case apiwire.Bookmark:
		return text("A BOOKMARK tells %s that its watch is current up to resourceVersion %s.", "BOOKMARK가 %s에게 watch가 resourceVersion %s까지 최신임을 알립니다.", r.To, b.Object.GetObjectMeta().ResourceVersion)
	}
	m := b.Object.GetObjectMeta()
	t := text("kube-apiserver's watch cache pushes %s %s %s (resourceVersion %s) to %s, one of the watchers whose selector matches it.",
		"kube-apiserver의 watch 캐시가 %s %s %s (resourceVersion %s)를 selector가 맞는 watcher 중 하나인 %s에게 보냅니다.", b.Type, b.Resource, objName(m.Namespace, m.Name), m.ResourceVersion, r.To)
	if p, ok := b.Object.(*api.Pod); ok && b.Type == apiwire.Added && p.Spec.NodeName != "" && r.To == kubelet.ActorName(p.Spec.NodeName) {
		t = text("%s watches only pods with spec.nodeName=%s, so to it the bound pod %s is ADDED (resourceVersion %s): a pod to run.",
			"%s는 spec.nodeName=%s인 파드만 watch하므로, 바인딩된 파드 %s가 ADDED로 보입니다 (resourceVersion %s): 실행할 파드입니다.", r.To, p.Spec.NodeName, objName(m.Namespace, m.Name), m.ResourceVersion)
	}
	return t
}

// txn narrates an etcd transaction from its compares and operations.
func txn(b etcd.TxnRequest) Text {
	var puts, dels []string
	for _, op := range b.Success {
		switch op.Type {
		case mvcc.OpTypePut:
			puts = append(puts, op.Key)
		case mvcc.OpTypeDelete:
			dels = append(dels, op.Key)
		}
	}
	create, update := false, int64(-1)
	for _, c := range b.Compare {
		if c.Target == mvcc.TargetMod && c.Result == mvcc.Equal {
			if c.ModRevision == 0 {
				create = true
			} else {
				update = c.ModRevision
			}
		}
	}
	switch {
	case create && len(puts) > 1:
		return text("kube-apiserver writes %d keys to etcd in one transaction, only if none of them exists yet: all or nothing.",
			"kube-apiserver가 etcd에 키 %d개를 한 트랜잭션으로 씁니다. 모두 아직 없을 때만: 전부 아니면 전무입니다.", len(puts))
	case create:
		return text("kube-apiserver writes %s to etcd in one transaction, only if the key does not exist yet (mod_revision = 0): that is what makes a create fail with 409 AlreadyExists.",
			"kube-apiserver가 etcd에 %s를 한 트랜잭션으로 씁니다. 키가 아직 없을 때만(mod_revision = 0): create가 409 AlreadyExists로 실패하는 이유입니다.", first(puts))
	case update >= 0 && len(dels) > 0:
		return text("kube-apiserver deletes %s from etcd, only if nobody changed it since revision %d.", "kube-apiserver가 revision %[2]d 이후 아무도 바꾸지 않았을 때만 etcd에서 %[1]s를 지웁니다.", first(dels), update)
	case update >= 0:
		return text("kube-apiserver writes %s to etcd only if it is still at revision %d, the one it read (optimistic concurrency: otherwise 409 Conflict and the client retries).",
			"kube-apiserver가 %s가 읽었던 revision %d 그대로일 때만 etcd에 씁니다 (낙관적 동시성: 아니면 409 Conflict, 클라이언트가 재시도).", first(puts), update)
	case len(dels) > 0:
		return text("kube-apiserver deletes %s from etcd.", "kube-apiserver가 etcd에서 %s를 지웁니다.", first(dels))
	}
	return text("kube-apiserver sends etcd a transaction: %s.", "kube-apiserver가 etcd에 트랜잭션을 보냅니다: %s.", b.Summary())
}

func first(keys []string) string {
	if len(keys) == 0 {
		return "?"
	}
	return keys[0]
}

func reply(r sim.Record) (Text, bool) {
	switch b := r.Body().(type) {
	case *etcd.TxnResponse:
		if b.Succeeded {
			return text("etcd commits the transaction at revision %d, on a quorum of its members; that revision is now the object's resourceVersion.",
				"etcd가 멤버 쿼럼에서 트랜잭션을 revision %d로 커밋합니다. 이 revision이 이제 객체의 resourceVersion입니다.", b.Header.Revision), true
		}
		return text("etcd's comparison fails at revision %d: nothing is written, and kube-apiserver answers 409.",
			"etcd의 비교가 revision %d에서 실패합니다: 아무것도 쓰이지 않고, kube-apiserver가 409로 응답합니다.", b.Header.Revision), true
	case *etcd.RangeResponse:
		return text("etcd answers from revision %d: %d key(s).", "etcd가 revision %d 기준으로 응답합니다: 키 %d개.", b.Header.Revision, len(b.KVs)), true
	case *apiwire.Response:
		switch {
		case b.WatchID != 0:
			return text("kube-apiserver opens the watch (200 OK) and keeps the stream: events follow.", "kube-apiserver가 watch를 엽니다 (200 OK). 스트림을 유지하며 이벤트가 이어집니다."), true
		case b.Code == 201 && b.Object != nil:
			return text("kube-apiserver answers %s: 201 Created, resourceVersion %s — the revision of the etcd write.",
				"kube-apiserver가 %s에게 응답합니다: 201 Created, resourceVersion %s — etcd 쓰기의 revision입니다.", r.To, b.Object.GetObjectMeta().ResourceVersion), true
		case b.Object != nil:
			return text("kube-apiserver answers %s: %d, resourceVersion %s.", "kube-apiserver가 %s에게 응답합니다: %d, resourceVersion %s.", r.To, b.Code, b.Object.GetObjectMeta().ResourceVersion), true
		}
		return text("kube-apiserver answers %s with %d item(s) at resourceVersion %s.", "kube-apiserver가 %s에게 항목 %d개를 resourceVersion %s 기준으로 응답합니다.", r.To, len(b.Items), b.ResourceVersion), true
	case *apierrors.StatusError:
		return text("kube-apiserver refuses: %d %s — %s", "kube-apiserver가 거부합니다: %d %s — %s", b.ErrStatus.Code, b.ErrStatus.Reason, b.ErrStatus.Message), true
	case *cni.AddResult:
		return text("Cilium answers the CNI ADD: IP %s on interface %s, endpoint %d. The pod has its address.",
			"Cilium이 CNI ADD에 응답합니다: 인터페이스 %[2]s에 IP %[1]s, 엔드포인트 %[3]d. 파드가 주소를 받았습니다.", b.IP, b.Interface, b.EndpointID), true
	case datapath.WalkReply:
		return walk(b.Trace), true
	case agent.VerdictReply:
		return verdict(r, b), true
	case agent.DeliverReply:
		switch {
		case b.Pod == "":
			return text("No endpoint has that address here: the packet is dropped.", "이 노드의 어떤 엔드포인트도 그 주소를 갖지 않습니다: 패킷이 버려집니다."), true
		case b.Container == "":
			return text("Nothing in %s listens on port %d: %s.", "%s에서 포트 %d를 듣는 것이 없습니다: %s.", b.Pod, b.Port, b.Summary()), true
		}
		if b.DeclaredPorts {
			return text("Container %s of %s listens on port %d/%s: the connection is established. Its image %s is not in kubesim's catalog, so its declared containerPort stands for the socket.",
				"%[2]s의 컨테이너 %[1]s가 포트 %[3]d/%[4]s에서 듣고 있습니다: 연결이 맺어집니다. 이미지 %[5]s는 kubesim 카탈로그에 없어서 선언된 containerPort를 소켓으로 봅니다.",
				b.Container, b.Pod, b.Port, b.Protocol, b.Image), true
		}
		return text("Container %s of %s listens on port %d/%s (its image's command listens there; containerPort is informational): the connection is established.",
			"%[2]s의 컨테이너 %[1]s가 포트 %[3]d/%[4]s에서 듣고 있습니다(이미지의 명령이 거기서 듣습니다. containerPort는 정보일 뿐입니다): 연결이 맺어집니다.", b.Container, b.Pod, b.Port, b.Protocol), true
	case kubelet.ServeReply:
		switch {
		case b.Response.Status == 0:
			return text("The process does not speak HTTP there: curl reports (%d) %s.", "프로세스가 거기서 HTTP를 말하지 않습니다: curl이 (%d) %s를 보고합니다.", b.Response.CurlExit, b.Response.CurlError), true
		case !b.Known:
			return text("The process answers %s with the pod's hostname: its image %s is not in kubesim's catalog.",
				"프로세스가 %s로 파드의 호스트 이름을 답합니다: 이미지 %s는 kubesim 카탈로그에 없습니다.", b.Response.StatusLine(), b.Image), true
		}
		return text("The process answers as %s does: %s, %d bytes, and prints the request in its log.",
			"프로세스가 %s처럼 답합니다: %s, %d바이트, 그리고 요청을 로그에 남깁니다.", b.Image, b.Response.StatusLine(), len(b.Response.Body)), true
	case coredns.Reply:
		return text("CoreDNS answers from what it watches (Services and EndpointSlices): %s %s.", "CoreDNS가 watch한 Service와 EndpointSlice로 응답합니다: %s %s.", b.Msg.Q().Name, b.Result()), true
	}
	if err, ok := r.Body().(error); ok {
		var se *apierrors.StatusError
		if errors.As(err, &se) {
			return text("kube-apiserver refuses: %d %s — %s", "kube-apiserver가 거부합니다: %d %s — %s", se.ErrStatus.Code, se.ErrStatus.Reason, se.ErrStatus.Message), true
		}
		return text("%s fails the call: %v.", "%s이(가) 호출을 실패로 돌려줍니다: %v.", r.From, err), true
	}
	return Text{}, false
}

func walk(t proxy.Trace) Text {
	switch t.Verdict {
	case proxy.VerdictDNAT:
		return text("The rules match %s and DNAT the packet to %s. A ClusterIP exists only in these rules: no process listens on it.",
			"규칙이 %s에 맞아 패킷을 %s로 DNAT합니다. ClusterIP는 이 규칙 안에만 있습니다: 그 주소에서 듣는 프로세스는 없습니다.", t.Service, t.Endpoint)
	case proxy.VerdictReject:
		return text("The rules match %s, which has no endpoints: kube-proxy's REJECT rule answers the client at once.",
			"규칙이 엔드포인트가 없는 %s에 맞습니다: kube-proxy의 REJECT 규칙이 클라이언트에 곧바로 응답합니다.", t.Service)
	case proxy.VerdictDrop:
		return text("The rules drop the packet (%s).", "규칙이 패킷을 버립니다 (%s).", t.Service)
	}
	return text("No service rule matches: the packet goes on to its destination address unchanged.", "맞는 서비스 규칙이 없습니다: 패킷은 목적지 주소 그대로 갑니다.")
}

func verdict(r sim.Record, b agent.VerdictReply) Text {
	dd := b.Decision.Egress
	dir := text("egress", "이그레스")
	if b.Direction == cilium.Ingress {
		dd, dir = b.Decision.Ingress, text("ingress", "인그레스")
	}
	who := b.Pod
	if who == "" {
		who = "the sender"
	}
	switch {
	case !dd.Enforced && b.Allowed:
		return Text{En: fmt.Sprintf("No policy selects %s for %s, and an endpoint no policy selects allows everything: ALLOWED.", who, dir.En),
			Ko: fmt.Sprintf("어떤 정책도 %s의 %s을(를) 선택하지 않았고, 정책이 선택하지 않은 엔드포인트는 모두 허용합니다: 허용(ALLOWED).", who, dir.Ko)}
	case dd.Enforced && dd.Allowed:
		return Text{En: fmt.Sprintf("A policy selects %s for %s, so only what a rule allows passes; %s allows this: ALLOWED.", who, dir.En, dd.By),
			Ko: fmt.Sprintf("정책이 %s의 %s을(를) 선택하므로 규칙이 허용한 것만 통과합니다. %s이(가) 이것을 허용합니다: 허용(ALLOWED).", who, dir.Ko, dd.By)}
	case !b.Allowed:
		return Text{En: fmt.Sprintf("A policy selects %s for %s and no rule allows this connection: %s (%d), DROPPED — %s.", who, dir.En, b.Decision.DropReason, int(b.Decision.DropReason), dd.By),
			Ko: fmt.Sprintf("정책이 %s의 %s을(를) 선택했고 이 연결을 허용하는 규칙이 없습니다: %s (%d), 차단(DROPPED) — %s.", who, dir.Ko, b.Decision.DropReason, int(b.Decision.DropReason), dd.By)}
	}
	return text("Verdict: %s.", "판정: %s.", b.Summary())
}

// nodeCommand narrates a change made from a node's shell.
func nodeCommand(r sim.Record, b cluster.NodeCommand) Text {
	switch b.Op {
	case cluster.OpWrite:
		return text("On %s, root writes %s: the node's disk changes (a manifest under /etc/kubernetes/manifests is the kubelet's to run).",
			"%s에서 root가 %s를 씁니다: 노드의 디스크가 바뀝니다 (/etc/kubernetes/manifests 아래의 매니페스트는 kubelet이 실행합니다).", r.Node, b.Path)
	case cluster.OpRename:
		return text("On %s, root moves %s to %s.", "%s에서 root가 %s를 %s(으)로 옮깁니다.", r.Node, b.Path, b.To)
	case cluster.OpRemove:
		return text("On %s, root removes %s.", "%s에서 root가 %s를 지웁니다.", r.Node, b.Path)
	case cluster.OpSystemctl:
		ko := map[string]string{"start": "시작", "stop": "중지", "restart": "재시작"}[b.Action]
		return Text{En: fmt.Sprintf("On %s, systemd %ss the %s unit.", r.Node, b.Action, b.Unit),
			Ko: fmt.Sprintf("%s에서 systemd가 %s 유닛을 %s합니다.", r.Node, b.Unit, ko)}
	case cluster.OpSnapshotSave:
		return text("On %s, etcdctl saves a point-in-time copy of %s's data to %s.", "%s에서 etcdctl이 %s의 데이터를 %s에 특정 시점 사본으로 저장합니다.", r.Node, b.Endpoint, b.Path)
	case cluster.OpRestore:
		return text("On %s, etcdutl restores %s into a new data directory, %s: etcd uses it once its manifest's --data-dir points there.",
			"%s에서 etcdutl이 %s를 새 데이터 디렉터리 %s에 복원합니다: etcd 매니페스트의 --data-dir가 그곳을 가리키면 etcd가 그것을 씁니다.", r.Node, b.Path, b.To)
	}
	return generic(r)
}

// evictionNote narrates the eviction API's decision from its numbers.
func evictionNote(b apiserver.EvictionNote) Text {
	switch {
	case b.Allowed && b.PDB == "":
		return text("The eviction API lets pod %s/%s go: no PodDisruptionBudget selects it, so it is deleted like any pod.",
			"eviction API가 파드 %s/%s를 내보냅니다: 이 파드를 고르는 PodDisruptionBudget이 없어 일반 파드처럼 삭제됩니다.", b.Namespace, b.Pod)
	case b.Allowed && b.Decremented:
		return text("The eviction API lets pod %s/%s go: PodDisruptionBudget %s allowed %d disruption(s); it now records the pod in status.disruptedPods and allows one fewer until the disruption controller recounts.",
			"eviction API가 파드 %s/%s를 내보냅니다: PodDisruptionBudget %s가 중단 %d개를 허용했습니다. 파드를 status.disruptedPods에 기록하고, disruption 컨트롤러가 다시 셀 때까지 허용 수를 하나 줄입니다.", b.Namespace, b.Pod, b.PDB, b.DisruptionsAllowed)
	case b.Allowed:
		return text("The eviction API lets pod %s/%s go without using a disruption of PodDisruptionBudget %s: the pod is not ready, so it does not count as healthy.",
			"eviction API가 파드 %s/%s를 PodDisruptionBudget %s의 중단 허용을 쓰지 않고 내보냅니다: 파드가 ready가 아니라 정상으로 세지 않습니다.", b.PDB, b.Namespace, b.Pod)
	case b.Code == 500:
		return text("The eviction API refuses pod %s/%s with 500: more than one PodDisruptionBudget selects it, which eviction does not support.",
			"eviction API가 파드 %s/%s를 500으로 거절합니다: 이 파드를 고르는 PodDisruptionBudget이 둘 이상이며, eviction은 이를 지원하지 않습니다.", b.Namespace, b.Pod)
	}
	return text("The eviction API refuses pod %s/%s with 429: PodDisruptionBudget %s needs %d healthy pods and has %d, so no disruption is allowed now; kubectl drain retries in 5s.",
		"eviction API가 파드 %s/%s를 429로 거절합니다: PodDisruptionBudget %s는 정상 파드 %d개가 필요한데 %d개뿐이라 지금은 중단을 허용하지 않습니다. kubectl drain은 5초 후 다시 시도합니다.", b.Namespace, b.Pod, b.PDB, b.DesiredHealthy, b.CurrentHealthy)
}

// crdNote narrates a CRD status change the apiextensions controllers
// inside kube-apiserver made.
func crdNote(b apiserver.CRDNote) Text {
	switch {
	case b.Condition == api.CRDNamesAccepted && b.Status == api.ConditionTrue:
		return text("kube-apiserver's naming controller accepts the names of CRD %s (%s: %q): no other CRD of its group holds them.",
			"kube-apiserver의 이름 컨트롤러가 CRD %s의 이름을 받아들입니다 (%s: %q): 같은 그룹의 다른 CRD가 이 이름을 쓰지 않습니다.", b.Name, b.Reason, b.Message)
	case b.Condition == api.CRDNamesAccepted:
		return text("kube-apiserver's naming controller refuses the names of CRD %s (%s: %q): another CRD of its group has one of them, so its kind is not served.",
			"kube-apiserver의 이름 컨트롤러가 CRD %s의 이름을 거부합니다 (%s: %q): 같은 그룹의 다른 CRD가 그중 하나를 쓰고 있어 이 종류는 서비스되지 않습니다.", b.Name, b.Reason, b.Message)
	case b.Condition == api.CRDEstablished && b.Status == api.ConditionTrue:
		return text("CRD %s is Established (%s): kube-apiserver now serves its kind, lists it in discovery, and checks its objects against the schema.",
			"CRD %s가 Established가 됩니다 (%s): 이제 kube-apiserver가 이 종류를 서비스하고, 디스커버리에 올리고, 객체를 스키마로 검사합니다.", b.Name, b.Reason)
	case b.Condition == api.CRDTerminating && b.Status == api.ConditionFalse:
		return text("CRD %s: the customresourcecleanup finalizer deleted %d custom resource(s) (%s: %q) and lets the CRD go.",
			"CRD %s: customresourcecleanup 파이널라이저가 커스텀 리소스 %d개를 지웠고 (%s: %q) CRD가 사라지게 합니다.", b.Name, b.Deleted, b.Reason, b.Message)
	case b.Condition == api.CRDTerminating:
		return text("CRD %s is Terminating (%s: %q): its custom resources are deleted before the CRD itself.",
			"CRD %s가 Terminating 상태입니다 (%s: %q): CRD보다 먼저 커스텀 리소스가 지워집니다.", b.Name, b.Reason, b.Message)
	}
	return text("CRD %s: %s is %s (%s: %q).", "CRD %s: %s가 %s입니다 (%s: %q).", b.Name, b.Condition, b.Status, b.Reason, b.Message)
}

// customNote narrates what a CRD's structural schema did to a custom
// resource on its way to etcd.
func customNote(b apiserver.CustomNote) Text {
	var en, ko []string
	if len(b.Pruned) > 0 {
		p := strings.Join(b.Pruned, ", ")
		en = append(en, fmt.Sprintf("prunes %s, which the schema does not declare", p))
		ko = append(ko, fmt.Sprintf("스키마에 없는 %s를 잘라내고", p))
	}
	if len(b.Defaulted) > 0 {
		d := strings.Join(b.Defaulted, ", ")
		en = append(en, fmt.Sprintf("sets %s from the schema's defaults", d))
		ko = append(ko, fmt.Sprintf("%s를 스키마의 기본값으로 채웁니다", d))
	}
	return Text{En: fmt.Sprintf("The CRD's schema shapes %s %q before validation: it %s.", b.Kind, b.Name, strings.Join(en, " and ")),
		Ko: fmt.Sprintf("검증 전에 CRD의 스키마가 %s %q를 다듬습니다: %s.", b.Kind, b.Name, strings.Join(ko, " "))}
}

// hpaNote narrates one sync of a HorizontalPodAutoscaler from its
// decision record.
func hpaNote(b controllers.HPADecision) Text {
	if b.Error != "" {
		return text("The HPA controller cannot size %s (%s): %s. It leaves %s as it is and tries again at the next sync, 15 s later.",
			"HPA 컨트롤러가 %s의 크기를 정하지 못합니다 (%s): %s. %s를 그대로 두고 15초 뒤 다음 동기화에서 다시 시도합니다.", b.HPA, b.ErrorReason, b.Error, b.Target)
	}
	t := text("The HPA controller reads %s of %s: %d%% of the pods' requests against a target of %d%% (%d ready pod(s), %d without metrics, %d not yet counted); the replica calculator proposes %d replica(s) for the current %d.",
		"HPA 컨트롤러가 %[2]s의 %[1]s를 읽습니다: 파드 요청의 %[3]d%%, 목표는 %[4]d%%입니다 (ready 파드 %[5]d개, 메트릭 없는 파드 %[6]d개, 아직 세지 않는 파드 %[7]d개). 레플리카 계산기는 현재 %[9]d개 대신 %[8]d개를 제안합니다.",
		b.Resource, b.Target, b.Utilization, b.TargetUtilization, b.Ready, b.Missing, b.Unready, b.Proposed, b.Current)
	var next Text
	switch {
	case b.Stabilized != b.Proposed && b.Proposed < b.Current:
		next = text(" The scale-down stabilization window keeps the highest recommendation of the last %s: %d.",
			" 축소 안정화 기간이 지난 %s 동안의 가장 높은 권장값 %d개를 유지합니다.", short(b.Window), b.Stabilized)
	case b.Stabilized != b.Proposed:
		next = text(" The scale-up stabilization window keeps the lowest recent recommendation: %d.",
			" 확대 안정화 기간이 최근 가장 낮은 권장값 %d개를 유지합니다.", b.Stabilized)
	}
	if b.Desired != b.Stabilized {
		next = Text{En: next.En + fmt.Sprintf(" The limits (%s) allow %d.", b.LimitReason, b.Desired), Ko: next.Ko + fmt.Sprintf(" 한도(%s)가 %d개까지 허용합니다.", b.LimitReason, b.Desired)}
	}
	var end Text
	if b.Rescaled {
		end = text(" It sets the scale of %s to %d.", " %s의 scale을 %d개로 바꿉니다.", b.Target, b.Desired)
	} else {
		end = text(" %s stays at %d.", " %s는 %d개 그대로입니다.", b.Target, b.Desired)
	}
	return Text{En: t.En + next.En + end.En, Ko: t.Ko + next.Ko + end.Ko}
}
