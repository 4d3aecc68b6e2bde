package controllers

// Exported for tests.
var (
	SlowStartBatch = slowStartBatch
	PodsToDelete   = podsToDelete
)
