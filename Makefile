# kubesim — make targets. `make run` plays the narrated walkthrough,
# `make test` is what CI runs.
GO      ?= go
PKGS    ?= ./...
LANG_   ?= en
SEED    ?= 1

.PHONY: run test test-large seeds vet fmt fmt-check bench bench-scale test-scale build fuzz soak chaos

run:
	$(GO) run ./scenarios/cmd/kubesim run --lang $(LANG_) --seed $(SEED)

build:
	$(GO) build -o bin/kubesim ./scenarios/cmd/kubesim

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l sim components scenarios examples); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The long scenario tiers (every built-in drill and incident, run whole,
# several times) are deterministic simulations on the kernel: they run
# without the race detector, which costs them 5-10x and finds nothing the
# component and kernel packages' own race-detected tests would not.
LONG    ?= ./scenarios/library ./scenarios/incident ./scenarios/chaos

# KUBESIM_CHECK_STUBS: on an untouched exercise stub, prove that its
# grader fails it (a learner's plain `go test` there fails and says what
# to implement); -tags solution: prove that every reference solution passes.
test: fmt-check vet
	KUBESIM_CHECK_STUBS=1 $(GO) test -race -count=1 $$($(GO) list $(PKGS) | grep -v -x -F "$$(cd . && $(GO) list $(LONG))")
	$(GO) test -count=1 -timeout 20m $(LONG)
	$(GO) test -race -count=1 -tags solution ./examples/...
	$(MAKE) seeds

# The large built-in drills (more than 100 nodes, such as the 500-node zone
# failure) run once in `make test`; here for seeds 1..3, under every
# mutant and with views at every step.
test-large:
	$(GO) test -count=1 -timeout 2h ./scenarios/library -large -run 'TestEveryBuiltInPassesForEverySeed|TestEveryGraderFailsInAMutatedWorld|TestLookingAtEveryStepDoesNotChangeTheDrill' -v

# Every built-in drill for seeds 1..100 (the long tier above runs seeds
# 1..3).
seeds:
	$(GO) test -count=1 -timeout 20m ./scenarios/library -run TestEveryBuiltInPassesForEverySeed -seeds=100

fmt:
	gofmt -w sim components scenarios examples

# `make bench` runs every benchmark once (about ten minutes on two cores),
# keeps the raw results in .bench/results.txt and renders the README's
# performance table from them.
bench:
	@mkdir -p .bench
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS) > .bench/results.tmp || { cat .bench/results.tmp; exit 1; }
	mv .bench/results.tmp .bench/results.txt
	$(GO) test -count=1 -run '^TestREADMEPerformance$$' ./scenarios/cmd/kubesim -update

# The scale ladder (100 nodes / 3,000 pods, 1,000 / 30,000, 5,000 /
# 150,000 with 10,000 Services): boot, pods Running, 5 idle minutes, a zone
# powered off, replacements Running. Figures go to the results file.
# RUNGS picks rungs by node count.
RUNGS   ?= 100,1000
bench-scale:
	$(GO) test -run '^$$' -bench BenchmarkScaleLadder -benchtime 1x -timeout 3h ./sim/cluster \
		-args -scale.rungs=$(RUNGS) -scale.out=$(CURDIR)/sim/cluster/testdata/scale-ladder.md

# The same seed gives the same trace hash at 1,000 nodes, at GOMAXPROCS 1
# and 2 (minutes: not part of `make test`).
SCALE_NODES ?= 1000
test-scale:
	KUBESIM_SCALE_NODES=$(SCALE_NODES) $(GO) test -count=1 -timeout 2h -run TestSameSeedSameTraceAtScale -v ./sim/cluster

# Every fuzz target, each for FUZZTIME. Their seed corpora (f.Add and
# testdata/fuzz/) run as ordinary tests in `make test`; a crasher the fuzzer
# finds is written to the package's testdata/fuzz/ and stays there as a
# regression case.
FUZZTIME ?= 30s
FUZZ_TARGETS = \
	./components/api:FuzzDecodeManifests \
	./components/api:FuzzParseSelector \
	./components/api:FuzzParseFieldSelector \
	./components/api:FuzzParseQuantity \
	./components/api/cron:FuzzCronSchedule \
	./components/apiserver:FuzzApplyPatch \
	./components/apiserver/frontend:FuzzHandler \
	./components/etcd:FuzzDecodeRequest \
	./components/etcd/mvcc:FuzzRestore \
	./scenarios/drill:FuzzParse \
	./scenarios/serve:FuzzDNSQuery

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

# The long tier of the fault-schedule checks: SOAK_SEEDS schedules per
# cluster size (3 and 5 members) for etcd's linearizability (porcupine),
# and as many for raft's safety properties and the watch guarantees
# through kube-apiserver. `make test` runs a few of each.
SOAK_SEEDS ?= 500
soak:
	$(GO) test -count=1 -timeout 3h -run '^TestLinearizable$$|^TestRaftSafety$$' ./components/etcd -lin-seeds $(SOAK_SEEDS) -safety-seeds $(SOAK_SEEDS)
	$(GO) test -count=1 -timeout 3h -run '^TestWatchGuarantees$$' ./sim/cluster -watch-seeds $(SOAK_SEEDS)

# The long tier of kubesim chaos: CHAOS_SEEDS seeds (1..N) of
# CHAOS_DURATION of virtual faults each, every invariant checked after
# healing. `make test` runs seeds 1..3.
CHAOS_SEEDS    ?= 100
CHAOS_DURATION ?= 30m
chaos:
	$(GO) test -count=1 -timeout 3h -run '^TestSeeds$$' ./scenarios/chaos -chaos.seeds $(CHAOS_SEEDS) -chaos.duration $(CHAOS_DURATION)
