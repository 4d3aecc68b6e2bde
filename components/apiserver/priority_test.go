package apiserver_test

import (
	"fmt"
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Priority admission plugin resolves spec.priorityClassName to
// spec.priority with kube-apiserver v1.32's refusals.
func TestPriorityAdmission(t *testing.T) {
	never := api.PreemptNever
	tests := []struct {
		name         string
		pod          func(*api.Pod)
		wantPriority int32
		wantErr      string
	}{
		{name: "no class is priority 0", wantPriority: 0},
		{name: "system-node-critical", pod: func(p *api.Pod) { p.Spec.PriorityClassName = "system-node-critical" }, wantPriority: 2000001000},
		{name: "system-cluster-critical", pod: func(p *api.Pod) { p.Spec.PriorityClassName = "system-cluster-critical" }, wantPriority: 2000000000},
		{name: "the class's own value may be given", pod: func(p *api.Pod) {
			p.Spec.PriorityClassName = "system-cluster-critical"
			p.Spec.Priority = ptrTo(int32(2000000000))
		}, wantPriority: 2000000000},
		{name: "unknown class", pod: func(p *api.Pod) { p.Spec.PriorityClassName = "high" },
			wantErr: `pods "web" is forbidden: no PriorityClass with name high was found`},
		{name: "priority without class", pod: func(p *api.Pod) { p.Spec.Priority = ptrTo(int32(5)) },
			wantErr: `pods "web" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name`},
		{name: "priority other than the class's", pod: func(p *api.Pod) {
			p.Spec.PriorityClassName = "system-node-critical"
			p.Spec.Priority = ptrTo(int32(7))
		}, wantErr: `pods "web" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 2000001000 from the given PriorityClass name`},
		{name: "preemptionPolicy other than the class's", pod: func(p *api.Pod) {
			p.Spec.PriorityClassName = "system-node-critical"
			p.Spec.PreemptionPolicy = &never
		}, wantErr: `pods "web" is forbidden: the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name`},
	}
	c := boot(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := pod("web")
			if tc.wantErr == "" {
				in = pod(fmt.Sprintf("ok-%d", i)) // a created pod keeps its name
			}
			if tc.pod != nil {
				tc.pod(in)
			}
			obj, err := c.Admin.Create(in)
			if tc.wantErr != "" {
				assert.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			p := obj.(*api.Pod)
			require.NotNil(t, p.Spec.Priority)
			assert.Equal(t, tc.wantPriority, *p.Spec.Priority)
			require.NotNil(t, p.Spec.PreemptionPolicy)
			assert.Equal(t, api.PreemptLowerPriority, *p.Spec.PreemptionPolicy)
		})
	}
}

func priorityClass(name string, value int32, globalDefault bool, policy api.PreemptionPolicy) *api.PriorityClass {
	pc := &api.PriorityClass{TypeMeta: api.TypeMeta{Kind: "PriorityClass", APIVersion: "scheduling.k8s.io/v1"},
		ObjectMeta: api.ObjectMeta{Name: name}, Value: value, GlobalDefault: globalDefault}
	if policy != "" {
		pc.PreemptionPolicy = &policy
	}
	return pc
}

// kube-apiserver creates the two system classes at boot.
func TestSystemPriorityClassesAtBoot(t *testing.T) {
	c := boot(t)
	for name, value := range map[string]int32{"system-cluster-critical": 2000000000, "system-node-critical": 2000001000} {
		obj, err := c.Admin.Get("priorityclasses", "", name)
		require.NoError(t, err, name)
		pc := obj.(*api.PriorityClass)
		assert.Equal(t, value, pc.Value, name)
		assert.False(t, pc.GlobalDefault, name)
		require.NotNil(t, pc.PreemptionPolicy)
		assert.Equal(t, api.PreemptLowerPriority, *pc.PreemptionPolicy)
	}
}

// PriorityClass validation and the one-globalDefault rule, with the real
// texts.
func TestPriorityClassValidation(t *testing.T) {
	c := boot(t)
	tests := []struct {
		name    string
		pc      *api.PriorityClass
		wantErr string
	}{
		{name: "user class at the ceiling", pc: priorityClass("ceiling", 1000000000, false, "")},
		{name: "user class above the ceiling", pc: priorityClass("too-high", 1000000001, false, ""),
			wantErr: `PriorityClass.scheduling.k8s.io "too-high" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000`},
		{name: "system prefix reserved", pc: priorityClass("system-mine", 10, false, ""),
			wantErr: `PriorityClass.scheduling.k8s.io "system-mine" is invalid: metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class`},
		{name: "unknown policy", pc: priorityClass("odd", 10, false, "Sometimes"),
			wantErr: `PriorityClass.scheduling.k8s.io "odd" is invalid: preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"`},
		{name: "first default", pc: priorityClass("default-low", 10, true, "")},
		{name: "second default", pc: priorityClass("default-two", 20, true, ""),
			wantErr: `priorityclasses.scheduling.k8s.io "default-two" is forbidden: PriorityClass default-low is already marked as default. Only one default can exist`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Admin.Create(tc.pc)
			if tc.wantErr != "" {
				assert.EqualError(t, err, tc.wantErr)
				return
			}
			assert.NoError(t, err)
		})
	}
	obj, err := c.Admin.Get("priorityclasses", "", "ceiling")
	require.NoError(t, err)
	pc := obj.(*api.PriorityClass)
	pc.Value = 5
	_, err = c.Admin.Update(pc)
	assert.EqualError(t, err, `PriorityClass.scheduling.k8s.io "ceiling" is invalid: value: Forbidden: may not be changed in an update.`)
}

// A user-defined class and the globalDefault class are resolved into the
// pod, with the class's preemptionPolicy.
func TestPriorityAdmissionUserClasses(t *testing.T) {
	c := boot(t)
	_, err := c.Admin.Create(priorityClass("high-priority", 1000000, false, api.PreemptNever))
	require.NoError(t, err)
	obj, err := c.Admin.Create(func() *api.Pod { p := pod("hi"); p.Spec.PriorityClassName = "high-priority"; return p }())
	require.NoError(t, err)
	p := obj.(*api.Pod)
	assert.Equal(t, int32(1000000), *p.Spec.Priority)
	assert.Equal(t, api.PreemptNever, *p.Spec.PreemptionPolicy)

	_, err = c.Admin.Create(priorityClass("everyone", 100, true, ""))
	require.NoError(t, err)
	obj, err = c.Admin.Create(pod("plain"))
	require.NoError(t, err)
	p = obj.(*api.Pod)
	assert.Equal(t, "everyone", p.Spec.PriorityClassName)
	assert.Equal(t, int32(100), *p.Spec.Priority)
	assert.Equal(t, api.PreemptLowerPriority, *p.Spec.PreemptionPolicy)
}
