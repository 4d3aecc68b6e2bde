package kubelet_test

import (
	"fmt"

	"github.com/kubesim/kubesim/components/kubelet"
)

func ExampleParseBehavior() {
	b, err := kubelet.ParseBehavior(map[string]string{
		kubelet.AnnotationBehavior: `
web: {readyAfter: 5s, logs: ["listening on :8080"]}
worker: {exitAfter: 30s, exitCode: 1}
`})
	fmt.Println(b["web"].ReadyAfter, b["web"].Logs, b["worker"].Exits, b["worker"].ExitAfter, b["worker"].ExitCode, err)

	_, err = kubelet.ParseBehavior(map[string]string{kubelet.AnnotationBehavior: `web: {exitAfter: soon}`})
	fmt.Println(err)
	// Output:
	// 5s [listening on :8080] true 30s 1 <nil>
	// annotation kubesim.io/behavior: container "web": field "exitAfter": invalid duration "soon" (want e.g. "5s", "1m30s" or a number of seconds)
}
