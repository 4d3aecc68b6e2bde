package framework

import (
	"fmt"
	"maps"
	"slices"
)

// PluginFactory builds a plugin. args is the PluginSpec's Args (nil when
// the profile gives none; a factory then uses its defaults); h gives access
// to the snapshot.
type PluginFactory func(args any, h Handle) (Plugin, error)

// Registry maps plugin names to factories. A profile refers to plugins by
// these names.
type Registry map[string]PluginFactory

// Register adds a factory under name. Registering a name twice is an error,
// so that a custom plugin cannot silently replace a default one.
func (r Registry) Register(name string, factory PluginFactory) error {
	if name == "" {
		return fmt.Errorf("a plugin name must not be empty")
	}
	if factory == nil {
		return fmt.Errorf("plugin %q: nil factory", name)
	}
	if _, ok := r[name]; ok {
		return fmt.Errorf("a plugin named %v already exists", name)
	}
	r[name] = factory
	return nil
}

// Unregister removes name.
func (r Registry) Unregister(name string) error {
	if _, ok := r[name]; !ok {
		return fmt.Errorf("no plugin named %v exists", name)
	}
	delete(r, name)
	return nil
}

// Merge registers every factory of in.
func (r Registry) Merge(in Registry) error {
	for _, name := range slices.Sorted(maps.Keys(in)) {
		if err := r.Register(name, in[name]); err != nil {
			return err
		}
	}
	return nil
}

// Names returns the registered names, sorted.
func (r Registry) Names() []string { return slices.Sorted(maps.Keys(r)) }

// FactoryOf returns a factory that ignores its arguments and always returns
// p: the shortest way to register a stateless plugin.
//
//	reg.Register("PreferEvenNodes", framework.FactoryOf(PreferEvenNodes{}))
func FactoryOf(p Plugin) PluginFactory {
	return func(any, Handle) (Plugin, error) { return p, nil }
}

// PluginSpec enables one plugin in a profile.
type PluginSpec struct {
	// Name is the registry name.
	Name string
	// Weight multiplies the plugin's normalized scores. It only matters for
	// Score plugins; zero means 1.
	Weight int32
	// Args are handed to the factory (the plugin's own args type).
	Args any
}

// Profile is one scheduling profile: a scheduler name and the plugins it
// runs. Plugins are enabled the way KubeSchedulerConfiguration's multiPoint
// does it: each plugin runs at every extension point it implements, and
// plugins run in list order at each point (so the order of Filters decides
// which reason a node gets when several would reject it).
type Profile struct {
	// SchedulerName is the spec.schedulerName this profile serves.
	SchedulerName string
	// PercentageOfNodesToScore overrides the scheduler-wide setting when
	// non-nil (0 means adaptive).
	PercentageOfNodesToScore *int32
	// Plugins are the enabled plugins, in order.
	Plugins []PluginSpec
}

// With returns a copy of the profile with specs enabled: a spec whose name
// is already enabled replaces it in place (to change a weight or args);
// others are appended.
func (p Profile) With(specs ...PluginSpec) Profile {
	out := p
	out.Plugins = slices.Clone(p.Plugins)
	for _, s := range specs {
		if i := slices.IndexFunc(out.Plugins, func(e PluginSpec) bool { return e.Name == s.Name }); i >= 0 {
			out.Plugins[i] = s
			continue
		}
		out.Plugins = append(out.Plugins, s)
	}
	return out
}

// Without returns a copy of the profile with the named plugins disabled.
func (p Profile) Without(names ...string) Profile {
	out := p
	out.Plugins = slices.DeleteFunc(slices.Clone(p.Plugins), func(e PluginSpec) bool { return slices.Contains(names, e.Name) })
	return out
}
