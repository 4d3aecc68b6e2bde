package narrate

import (
	"strings"

	"github.com/kubesim/kubesim/components/kubelet"
)

// configVolumeNote narrates the kubelet's resync rewriting a pod's
// configMap or secret volume.
func configVolumeNote(b kubelet.ConfigVolumeNote) Text {
	vols := strings.Join(b.Volumes, ", ")
	switch {
	case b.Gone:
		return text("On its periodic resync the kubelet finds %s %s gone, so volume %s of pod %s loses its files; a container that read it into env keeps the values it started with.",
			"주기적 재동기화에서 kubelet이 %s %s가 사라진 것을 보고 파드 %[4]s의 볼륨 %[3]s에서 파일을 지웁니다. env로 읽은 컨테이너는 시작할 때의 값을 그대로 가집니다.", b.Kind, b.Name, vols, b.Pod)
	case b.Appeared:
		return text("On its periodic resync the kubelet finds %s %s, which did not exist before, and writes its keys into volume %s of pod %s.",
			"주기적 재동기화에서 kubelet이 전에 없던 %s %s를 찾아 그 키를 파드 %[4]s의 볼륨 %[3]s에 씁니다.", b.Kind, b.Name, vols, b.Pod)
	}
	keys := strings.Join(b.Keys, ", ")
	return Text{
		En: "On its periodic resync (every --sync-frequency) the kubelet sees that " + b.Kind + " " + b.Name + " changed (" + keys + ") and rewrites volume " + vols + " of pod " + b.Pod +
			": the mounted files now show the new values. Environment variables from the same " + b.Kind + " and subPath mounts keep what the container started with, until it restarts.",
		Ko: "주기적 재동기화(--sync-frequency마다)에서 kubelet이 " + b.Kind + " " + b.Name + "의 변경(" + keys + ")을 보고 파드 " + b.Pod + "의 볼륨 " + vols +
			"를 다시 씁니다: 마운트된 파일에 새 값이 보입니다. 같은 " + b.Kind + "에서 온 환경 변수와 subPath 마운트는 컨테이너가 다시 시작할 때까지 시작 시점의 값을 유지합니다.",
	}
}
