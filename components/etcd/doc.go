// Package etcd runs an etcd cluster — 1, 3 or 5 members — as kernel actors
// on top of the mvcc store, and gives clients (kube-apiserver, etcdctl) a
// small clientv3-like Client.
//
// # Consensus
//
// Each member drives go.etcd.io/raft/v3 (v3.6.0), a pure state machine,
// from its actor: messages in (RawNode.Step), Ready out. Raft messages
// travel between member actors as kernel messages named after their type
// ("MsgApp", "MsgHeartbeat", "MsgVote", ...) with a one-line summary
// ("MsgApp: term=3 index=42 logterm=3 entries=1 commit=41"), so link cuts,
// node stops and message rules partition and delay them like a network.
// Each Ready is handled in one kernel step, in etcd's order: persist the
// snapshot, HardState and entries; send the messages; apply the committed
// entries to the member's store in log order; answer read states. Options
// are etcd's: CheckQuorum (a leader that does not hear from a quorum for an
// election timeout steps down), PreVote, 1 MiB messages, 512 in flight.
//
// Writes (Txn, Compact, LeaseGrant, LeaseRevoke) are proposed as entries;
// a follower forwards them to the leader, and the member that received the
// request answers when it applies the entry itself, so its watchers see
// the events before the writer sees the reply. Without a leader a proposal
// waits, as it does in etcd's raft node, and fails after the request
// timeout (Config.RequestTimeout: 5 s + 2 × election timeout = 7 s) with
// `etcdserver: request timed out`. Linearizable reads wait for a read index
// (batched, retried every 500 ms, failed with `etcdserver: leader changed`
// if the leader changes under them, or with the request timeout);
// serializable reads are answered from the local store at once, stale or
// not. Watches are served by the member they were opened on, from its
// applied store.
//
// # Who ticks raft, and how elections stay deterministic
//
// The member's actor ticks raft from a kernel timer every heartbeat
// interval (100 ms; ElectionTick = election timeout / heartbeat = 10,
// HeartbeatTick = 1). Raft draws a follower's randomized election timeout
// from its own process-global source (crypto/rand), which would make runs
// differ. So only the leader gets RawNode.Tick (heartbeats and CheckQuorum,
// which use no randomness); followers and candidates get
// RawNode.TickQuiesced, which advances raft's election clock — keeping its
// leader lease (a member that heard from a leader within an election
// timeout rejects votes) and CheckQuorum exact — without ever letting raft
// campaign by itself. The member keeps its own election clock beside it,
// mirroring raft's: reset when a message from the leader arrives, when it
// grants a vote and when its term or role changes; when it passes a
// timeout drawn in [election, 2 × election) ticks from the actor's seeded
// stream (Ctx.Rand), the member calls RawNode.Campaign (a pre-vote first).
// (TickQuiesced is marked deprecated in raft v3.6; if it goes, the same
// effect needs raft's election timeout made injectable.) Every decision
// thus follows from the kernel's seed and event order, and
// a run's trace is byte-identical whatever GOMAXPROCS is. As etcd's
// --initial-election-tick-advance does, a starting member's clock begins
// one tick short of the minimum timeout, so a new cluster elects its first
// leader within about one election timeout; a one-member cluster elects
// itself at once and sets no timer. After a leader crash the followers
// campaign 1–2 s after its last heartbeat (real etcd v3.6 re-elects in
// about 1.2 s).
//
// # What is durable
//
// A member's Disk survives its crash and its node's power-off, as a data
// directory does: the raft HardState, the log entries and the raft
// snapshot's metadata (etcd's WAL and snap files), the store and the index
// of the last entry applied to it (bbolt with its consistent index). The
// member writes them only while handling a Ready, within one kernel step,
// so a crash — which the kernel delivers between steps — never tears a
// write. A restarted member replays the committed entries it had not
// applied and catches up from the leader: from the log, or, when the
// leader compacted it (every SnapshotCount = 10,000 entries, keeping
// 5,000), from a snapshot of the leader's current store, as etcd sends
// its current bbolt file. Everything else — pending requests, watches,
// the lessor's clock — is lost in a crash.
//
// # Leases
//
// Grants and revocations go through the log; keep-alives go to the leader
// only (a follower forwards them, waiting for a leader as etcd's waitLeader
// does) and are not replicated. The leader keeps each lease's expiry and
// proposes the revocation of an expired lease; a new leader gives every
// lease a full TTL again, as etcd's lessor does on promotion.
//
// # Failures as clients see them
//
// With a quorum lost, writes and linearizable reads wait and fail with
// `etcdserver: request timed out` after the request timeout, serializable
// reads return the last value the member applied, and requests that require
// a leader (a watch opened with RequireLeader, as kube-apiserver's are)
// fail at once with `etcdserver: no leader`; an open watch of that kind is
// cancelled with that error after three election timeouts without a
// leader. Nothing committed is lost, and when members return the cluster
// elects a leader and carries on by itself.
//
// A watcher that must outlive its member (kube-apiserver's watch cache)
// learns which member serves its watch from Client.Watch, notices the
// member is gone from a cancelled response (`etcdserver: no leader`) or a
// failed Client.WatchProgress (the member restarted or cannot be reached;
// a refused call when its process is down), and watches again from the
// revision after the last one it saw on whichever member answers; if that
// revision was compacted, it relists. `etcdctl endpoint status` is
// Statuses and FormatStatusTable; `etcdctl snapshot save` is SaveSnapshot
// and `etcdutl snapshot restore` is RestoreCluster, whose doc gives the
// operator's restore procedure.
//
// # Departures from etcd
//
// Membership is fixed when the cluster is bootstrapped (no member
// add/remove, no learners). Raft entries carry a compact binary encoding
// of the requests rather than protobuf. Read-only txns go through the log.
// Member and cluster IDs are derived from the member names and the
// cluster token (etcd hashes the peer URLs and the token). Of etcd's
// timeout variants, "possibly due to previous leader failure" is reported;
// "possibly due to connection lost" is reported as the plain timeout.
package etcd
