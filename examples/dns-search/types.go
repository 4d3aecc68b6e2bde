// Package dnssearch is an exercise on cluster DNS: predict the queries a
// pod's resolver sends to CoreDNS for a name — the search list, ndots:5 —
// and which one is answered. See README.md.
package dnssearch

// Service is a ClusterIP Service of the cluster.
type Service struct {
	Namespace string
	Name      string
}

// Lookup is what a pod's resolver does to resolve one name (A records).
type Lookup struct {
	// Queries are the names asked, in order, fully qualified (ending in a
	// dot): "web.shop.svc.cluster.local.".
	Queries []string
	// Answered is the query whose answer ended the lookup with an
	// address, "" when none did (the lookup fails: NXDOMAIN).
	Answered string
}
