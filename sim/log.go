package sim

import (
	"io"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Logs. Every actor gets a zap logger whose clock is the kernel's virtual
// clock, named after the actor and carrying its node, so logs are as
// deterministic as the trace. Lines go to a bounded per-actor buffer (for
// `kubesim logs <component>` and pod logs) and to an optional writer.

// WithLogOutput also writes every log line to w.
func WithLogOutput(w io.Writer) Option {
	return optionFunc(func(k *Kernel) { k.logOut = w })
}

// WithLogLevel sets the lowest level that is logged (default Info).
func WithLogLevel(l zapcore.Level) Option {
	return optionFunc(func(k *Kernel) { k.logLevel = l; k.logLevelSet = true })
}

const logLinesPerActor = 1000

type logBook struct {
	k       *Kernel
	enc     zapcore.EncoderConfig
	level   zapcore.Level
	buffers map[string]*logRing
}

type logRing struct {
	lines []string
	next  int
	full  bool
}

func (r *logRing) Write(p []byte) (int, error) {
	line := strings.TrimRight(string(p), "\n")
	if len(r.lines) < logLinesPerActor {
		r.lines = append(r.lines, line)
		return len(p), nil
	}
	r.lines[r.next] = line
	r.next = (r.next + 1) % logLinesPerActor
	r.full = true
	return len(p), nil
}

func (r *logRing) Sync() error { return nil }

func (r *logRing) all() []string {
	if !r.full {
		return append([]string(nil), r.lines...)
	}
	out := append([]string(nil), r.lines[r.next:]...)
	return append(out, r.lines[:r.next]...)
}

func newLogBook(k *Kernel) *logBook {
	enc := zap.NewDevelopmentEncoderConfig()
	enc.EncodeTime = zapcore.TimeEncoderOfLayout("2006-01-02T15:04:05.000000Z07:00")
	enc.EncodeCaller = nil
	enc.CallerKey = ""
	enc.StacktraceKey = ""
	lvl := zapcore.InfoLevel
	if k.logLevelSet {
		lvl = k.logLevel
	}
	return &logBook{k: k, enc: enc, level: lvl, buffers: make(map[string]*logRing)}
}

// virtualClock lets zap stamp entries with virtual time.
type virtualClock struct{ k *Kernel }

func (c virtualClock) Now() time.Time { return c.k.WallTime() }

// NewTicker is never used by the loggers the kernel builds (no sampling, no
// buffered writers); it returns a stopped ticker rather than a wall-clock one.
func (c virtualClock) NewTicker(time.Duration) *time.Ticker { return &time.Ticker{} }

func (b *logBook) logger(a *actor) *zap.Logger {
	ring := b.buffers[a.name]
	if ring == nil {
		ring = &logRing{}
		b.buffers[a.name] = ring
	}
	var ws zapcore.WriteSyncer = ring
	if b.k.logOut != nil {
		ws = zapcore.NewMultiWriteSyncer(ring, zapcore.AddSync(b.k.logOut))
	}
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(b.enc), ws, b.level)
	return zap.New(core, zap.WithClock(virtualClock{b.k})).Named(a.name).With(zap.String("node", a.node))
}

// Logs returns the buffered log lines of the named actor, oldest first.
func (k *Kernel) Logs(actor string) []string {
	if r := k.logs.buffers[actor]; r != nil {
		return r.all()
	}
	return nil
}

// Logger returns a virtual-time logger for driver-side code (a drill runner)
// under the given name.
func (k *Kernel) Logger(name string) *zap.Logger {
	return k.logs.logger(&actor{name: name})
}
