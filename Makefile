# Synap's developer entry points; CI runs `make test` (see .ci/run).
GO       ?= go
BIN      := bin/synap
FUZZTIME ?= 60s

.PHONY: build run test fmt-check vet unit fuzz bench clean

build:
	$(GO) build -o $(BIN) ./cmd/synap

# Standalone, in memory, on Redis's usual address.
run: build
	./$(BIN) serve --bind 127.0.0.1 --port 6379

test: fmt-check vet unit
	FUZZTIME=10s scripts/fuzz.sh

fmt-check:
	@files=$$(gofmt -l .); \
	if [ -n "$$files" ]; then echo "gofmt: these files need formatting:"; echo "$$files"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

# Every fuzz target for FUZZTIME each: make fuzz FUZZTIME=5m
fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

bench:
	scripts/bench.sh
	scripts/bench-cluster.sh

clean:
	rm -rf bin .bench
