// Package teamcontroller is an exercise on kube-controller-manager's
// shape: write a level-triggered controller that keeps a ConfigMap in
// every team's namespace in step with the namespace's team label. See
// README.md.
package teamcontroller

import "github.com/kubesim/kubesim/components/controllers"

// The contract of the controller.
const (
	// TeamLabel on a Namespace names the team that owns it.
	TeamLabel = "kubesim.io/team"
	// ConfigMapName is the ConfigMap the controller keeps in a team's
	// namespace, with Data {"team": <the label's value>}.
	ConfigMapName = "team-info"
	// ManagedByLabel marks the ConfigMaps the controller owns, with the
	// value ManagedBy. It never changes or deletes one without it.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedBy      = "team-info-controller"
)

// NewTeamInfo returns the controller, as controllers.Defaults() lists
// constructors.
func NewTeamInfo() controllers.Controller { return &TeamInfo{} }

// Name implements controllers.Controller.
func (c *TeamInfo) Name() string { return "team-info" }
