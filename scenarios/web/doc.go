// Package web is kubesim's web view of a run: a page with the run's
// timeline and a cursor over it, the cluster at the cursor (nodes with the
// components and pods on each, the message under the cursor as an arrow,
// an object's YAML at that revision and the diff the record made), the
// flow as a sequence diagram with narration in English or Korean, and
// plots over virtual time (pods by phase, etcd's revision and raft term,
// scheduling attempts and latency, Hubble flows by verdict).
//
// The page is plain JavaScript, CSS and SVG embedded in the binary; it
// loads nothing from elsewhere. Two ways to get it:
//
//   - Build runs a walkthrough or a drill once under a cursor
//     (package sim/cursor) and precomputes, at every pause, what the page
//     needs to show the state at any record without a server: every etcd
//     revision with the record that committed it, the version it replaced
//     and the field-level diff, pods' placement and phase, nodes'
//     readiness, the raft term, the nodes powered off. WriteHTML writes it
//     with the page as one self-contained file (`kubesim trace NAME
//     --format html`), the data gzipped in base64 (UnpackData reads it
//     back).
//   - Live serves the page for a running `kubesim serve` at /ui/: the run
//     so far, then new records as Server-Sent Events, with pause, step and
//     advance through the same operations serve's prompt uses.
//
// Both only read: at a cursor's pause, or between kernel steps on the
// serving goroutine, where nothing runs. The trace of a run with the page
// open is the trace of the run without it.
//
// Where the page simplifies: the live page reads the cluster between the
// serving loop's steps, so records that arrive together share one etcd
// revision (exact when paused and stepping); a live read that falls more
// than the trace ring behind counts the records it missed (Data.Gap).
// Actors are listed as they are at the end of the run (or of the live
// read), with their crashes and restarts from the records.
package web
