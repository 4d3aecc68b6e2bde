package sim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Event names what a trace record is about.
type Event string

// Trace record events.
const (
	EventDeliver Event = "deliver" // a message reached its receiver
	EventReply   Event = "reply"   // a reply reached its caller
	EventTimer   Event = "timer"   // a timer set with After fired
	EventTimeout Event = "timeout" // a Call gave up waiting
	EventDrop    Event = "drop"    // a message was lost (fault, node down, no receiver)
	EventNote    Event = "note"    // a step inside an actor
	EventStart   Event = "start"   // an actor (re)started
	EventExit    Event = "exit"    // an actor's body returned
	EventCrash   Event = "crash"   // an actor was killed
	EventFault   Event = "fault"   // a fault was injected or healed
	EventDriver  Event = "driver"  // a driver-scheduled step ran
	EventMark    Event = "mark"    // the driver marked a point of the run (a checkpoint, a drill step)
)

// Summarizer is implemented by message bodies that describe themselves in
// one line for the trace.
type Summarizer interface{ Summary() string }

// Record is one line of the trace.
//
// N numbers records in the order they happened: the first record of a run
// is #1, and every later one is one more, so N is the position of a record
// in its run (a cursor's address). Seq is the kernel's sequence number of
// the event: events are numbered when they are scheduled (a message when it
// is sent) and delivered in (time, Seq) order, so Seq is send order.
//
// A record keeps the typed body of what it describes — the message a
// delivery carried, the body a note or a mark was given — so that
// narration, views and exports read fields, not text. Summary is derived
// from the body.
type Record struct {
	Time  time.Duration
	N     uint64
	Seq   uint64
	Event Event
	From  string
	To    string
	// Node is the receiver's node (the sender's for drops and notes).
	Node string
	Kind string
	// Cause is the record whose handling led to this one: for a delivery,
	// the record the sender was handling when it sent the message; for a
	// note, the record its actor was handling. 0 when the driver did it.
	Cause uint64
	// InReplyTo is, for a reply, the record of the request it answers.
	InReplyTo uint64

	summary string
	body    any // summarized lazily: bodies are immutable once sent
}

// Summary is the record's one-line description.
func (r Record) Summary() string {
	if r.summary != "" || r.body == nil {
		return r.summary
	}
	switch b := r.body.(type) {
	case Summarizer:
		return b.Summary()
	case fmt.Stringer:
		return b.String()
	case string:
		return b
	case error:
		return b.Error()
	}
	return ""
}

// WithSummary returns a copy of r whose summary is fixed to s; the body is
// kept (for readers of typed fields), only the text changes.
func (r Record) WithSummary(s string) Record {
	r.summary = s
	return r
}

// Body is the message body a delivery carried, if the record still holds it.
func (r Record) Body() any { return r.body }

// Text renders the record as one line:
//
//	[    12.500000s] #42 kube-apiserver -> etcd-cp-1 Txn: put /registry/pods/default/web
//
// The number is the record's N: its place in the run.
func (r Record) Text() string {
	var b strings.Builder
	b.Grow(96)
	b.WriteByte('[')
	b.WriteString(FormatVirtual(r.Time))
	b.WriteString("] #")
	b.WriteString(strconv.FormatUint(r.N, 10))
	b.WriteByte(' ')
	switch r.Event {
	case EventDeliver:
		b.WriteString(r.From + " -> " + r.To)
	case EventReply:
		b.WriteString(r.From + " => " + r.To)
	case EventTimer:
		b.WriteString(r.To + " (timer)")
	case EventNote:
		b.WriteString(r.From + " (" + r.Kind + ")")
	case EventDrop:
		b.WriteString(r.From + " -x " + r.To)
	case EventTimeout:
		b.WriteString(r.From + " -? " + r.To)
	case EventMark:
		b.WriteString("mark")
	default:
		b.WriteString(string(r.Event) + " " + r.To)
	}
	if r.Event != EventNote {
		b.WriteByte(' ')
		b.WriteString(r.Kind)
	}
	if s := r.Summary(); s != "" {
		b.WriteString(": ")
		b.WriteString(s)
	}
	return b.String()
}

// FormatVirtual prints a virtual time as seconds with millisecond precision,
// right-aligned, so trace columns line up.
func FormatVirtual(d time.Duration) string {
	sec := d / time.Second
	frac := (d % time.Second) / time.Microsecond
	return fmt.Sprintf("%6d.%06ds", sec, frac)
}

type jsonRecord struct {
	TimeNS  int64  `json:"t"`
	Time    string `json:"time"`
	N       uint64 `json:"n"`
	Seq     uint64 `json:"seq"`
	Cause   uint64 `json:"cause,omitempty"`
	Reply   uint64 `json:"inReplyTo,omitempty"`
	Event   Event  `json:"event"`
	From    string `json:"from"`
	To      string `json:"to"`
	Node    string `json:"node,omitempty"`
	Kind    string `json:"kind"`
	Summary string `json:"summary,omitempty"`
}

// JSON renders the record as one JSON object.
func (r Record) JSON() []byte {
	b, _ := json.Marshal(jsonRecord{TimeNS: int64(r.Time), Time: strings.TrimSpace(FormatVirtual(r.Time)), N: r.N, Seq: r.Seq, Cause: r.Cause, Reply: r.InReplyTo, Event: r.Event, From: r.From, To: r.To, Node: r.Node, Kind: r.Kind, Summary: r.Summary()})
	return b
}

// ParseJSONRecord reads a record written by Record.JSON.
func ParseJSONRecord(line []byte) (Record, error) {
	var j jsonRecord
	if err := json.Unmarshal(line, &j); err != nil {
		return Record{}, err
	}
	return Record{Time: time.Duration(j.TimeNS), N: j.N, Seq: j.Seq, Cause: j.Cause, InReplyTo: j.Reply, Event: j.Event, From: j.From, To: j.To, Node: j.Node, Kind: j.Kind, summary: j.Summary}, nil
}

// Trace keeps the newest records in a bounded ring and streams every record
// to its sinks. A long run stays in constant memory; a sink (a file, a
// narrator) sees everything.
type Trace struct {
	ring  []Record
	next  int // index of the slot the next record goes into
	full  bool
	total uint64
	sinks []func(Record)
}

// NewTrace returns a trace keeping the newest capacity records.
func NewTrace(capacity int) *Trace {
	if capacity < 1 {
		capacity = 1
	}
	return &Trace{ring: make([]Record, capacity)}
}

// AddSink streams every later record to fn.
func (t *Trace) AddSink(fn func(Record)) { t.sinks = append(t.sinks, fn) }

func (t *Trace) add(r Record) uint64 {
	r.N = t.total + 1
	t.ring[t.next] = r
	t.next++
	if t.next == len(t.ring) {
		t.next = 0
		t.full = true
	}
	t.total++
	for _, s := range t.sinks {
		s(r)
	}
	return r.N
}

// Total counts every record ever added, including those the ring dropped.
func (t *Trace) Total() uint64 { return t.total }

// Since returns the records added after Total() was mark, oldest first
// (as many as the ring still holds).
func (t *Trace) Since(mark uint64) []Record {
	if mark >= t.total {
		return nil
	}
	return t.Tail(int(t.total - mark))
}

// Records returns the records the ring holds, oldest first.
func (t *Trace) Records() []Record {
	if !t.full {
		return append([]Record(nil), t.ring[:t.next]...)
	}
	out := make([]Record, 0, len(t.ring))
	out = append(out, t.ring[t.next:]...)
	return append(out, t.ring[:t.next]...)
}

// Tail returns the newest n records, oldest first.
func (t *Trace) Tail(n int) []Record {
	all := t.Records()
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return all
}

// Filter selects records for export; nil keeps everything.
type Filter func(Record) bool

// WriteText writes records as text, one per line.
func WriteText(w io.Writer, recs []Record) error {
	bw := bufio.NewWriter(w)
	for _, r := range recs {
		bw.WriteString(r.Text())
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// WriteJSONL writes records as JSON lines.
func WriteJSONL(w io.Writer, recs []Record) error {
	bw := bufio.NewWriter(w)
	for _, r := range recs {
		bw.Write(r.JSON())
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// WriteMermaid writes records as a Mermaid sequence diagram: one participant
// per actor, in order of first appearance, one arrow per delivery (dashed for
// replies, crossed for drops), notes for steps inside an actor.
func WriteMermaid(w io.Writer, recs []Record) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("sequenceDiagram\n")
	ids := map[string]string{}
	var order []string
	id := func(name string) string {
		if v, ok := ids[name]; ok {
			return v
		}
		v := fmt.Sprintf("p%d", len(ids)+1)
		ids[name] = v
		order = append(order, name)
		return v
	}
	var body strings.Builder
	for _, r := range recs {
		label := mermaidText(r.Kind)
		if s := r.Summary(); s != "" {
			label = mermaidText(r.Kind + ": " + s)
		}
		switch r.Event {
		case EventDeliver, EventTimer:
			fmt.Fprintf(&body, "    %s->>%s: %s\n", id(r.From), id(r.To), label)
		case EventReply:
			fmt.Fprintf(&body, "    %s-->>%s: %s\n", id(r.From), id(r.To), label)
		case EventDrop, EventTimeout:
			fmt.Fprintf(&body, "    %s-x%s: %s\n", id(r.From), id(r.To), label)
		case EventNote:
			fmt.Fprintf(&body, "    Note over %s: %s\n", id(r.From), mermaidText(r.Summary()))
		case EventCrash, EventStart, EventFault:
			if r.To != "" && r.To != "kernel" && !strings.Contains(r.To, "<->") {
				fmt.Fprintf(&body, "    Note over %s: %s\n", id(r.To), mermaidText(string(r.Event)+" "+r.Summary()))
			}
		}
	}
	for _, name := range order {
		fmt.Fprintf(bw, "    participant %s as %s\n", ids[name], mermaidText(name))
	}
	bw.WriteString(body.String())
	return bw.Flush()
}

var mermaidEscaper = strings.NewReplacer(";", "#59;", "#", "#35;", "\n", " ")

// mermaidText escapes what Mermaid's parser would take as syntax.
func mermaidText(s string) string {
	return mermaidEscaper.Replace(s)
}
