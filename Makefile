# Synap's developer entry points; CI runs `make test` (see .ci/run).
GO       ?= go
BIN      := bin/synap
# Fuzz budgets are execution counts, not durations: Go 1.26's fuzz
# coordinator can fail a duration-bounded run with a bare "context deadline
# exceeded" at the deadline under CPU load (golang/go#75804, fixed in 1.27).
FUZZTIME ?= 3000000x

.PHONY: build run test fmt-check vet unit fuzz bench bench-noisy bench-memory bench-http bench-persist clean

# Static (no libc): the server needs nothing of C, and an idle process
# maps 1.3 MB less.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/synap

# Standalone on Redis's usual address, its data (append-only log,
# snapshots) in .data/ of the checkout (ignored by git). A pure cache:
# make run ARGS='--appendonly no --save ""'
run: build
	./$(BIN) serve --bind 127.0.0.1 --port 6379 --dir .data $(ARGS)

test: fmt-check vet unit
	FUZZTIME=300000x scripts/fuzz.sh

fmt-check:
	@files=$$(gofmt -l .); \
	if [ -n "$$files" ]; then echo "gofmt: these files need formatting:"; echo "$$files"; exit 1; fi

vet:
	$(GO) vet ./...

# The server reads and writes sockets with raw system calls, except under
# the race detector (see resp/server/rawio_other.go): the packages that talk
# to a real server run once more without -race so that path is tested too.
# The heap-measuring charge tests run there too: the packed sorted sets' one
# takes 16 s plain and skips itself under -race, where it took 234 s.
# The charge tests (about a minute, one core: they fill and measure the
# heap) run beside the other plain tests, which leave a core idle for most
# of theirs.
unit:
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run 'TestChargesCover' ./engine & charges=$$!; \
	$(GO) test -count=1 ./commands ./resp/server ./compat; plain=$$?; \
	wait $$charges; charges=$$?; \
	[ $$plain -eq 0 ] && [ $$charges -eq 0 ]

# Every fuzz target for FUZZTIME executions each: make fuzz FUZZTIME=20000000x
fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

bench:
	scripts/bench.sh
	scripts/bench-cluster.sh
	scripts/bench-pubsub.sh
	scripts/bench-noisy.sh
	scripts/bench-memory.sh
	scripts/bench-queues.sh
	scripts/bench-streams.sh
	scripts/bench-tracking.sh
	scripts/bench-http.sh
	scripts/bench-persist.sh

# The sections above compare Synap and redis-server in memory, both with
# persistence off (bench-persist.sh turns it on for both itself).
bench bench-noisy bench-memory bench-http: export SYNAP_APPENDONLY = no
bench bench-noisy bench-memory bench-http: export SYNAP_SAVE =

# Only persistence: SET/LPUSH with the log on against redis-server with
# appendonly yes, and start-up time for 1M keys.
bench-persist:
	scripts/bench-persist.sh

# Only the memory section: RSS of the same data in redis-server and Synap.
bench-memory:
	scripts/bench-memory.sh

# Only REST beside RESP (GET/SET, p50/p99).
bench-http:
	scripts/bench-http.sh

# Only the noisy-neighbour benchmark (cluster mode, tenant A attacks B).
bench-noisy:
	scripts/bench-noisy.sh

clean:
	rm -rf bin .bench
