# The README's two commands are `go run ./cmd/takt serve` and `go test ./...`; these targets wrap them.
.PHONY: run test bench lint

run:
	go run ./cmd/takt serve --demo

test:
	go test ./...

# Benchmarks report ratios against raw JetStream measured in the same run; see docs/performance.md.
# Each benchmark has its own iteration count: the command path repeats small decisions, the others
# each build one large log (1 000 000 events for the rebuild and verify figures; about 20 minutes).
bench:
	go test -run '^$$' -bench Decisions -benchtime 2000x ./bench/
	go test -run '^$$' -bench Replicas -benchtime 4000x ./bench/
	go test -run '^$$' -bench Projection -benchtime 1x ./bench/
	TAKT_REBUILD_EVENTS=1000000 go test -run '^$$' -bench Rebuild -benchtime 1x -timeout 60m ./bench/
	TAKT_READS_EVENTS=1000000 go test -run '^$$' -bench Reads -benchtime 1x -timeout 30m ./bench/
	TAKT_VERIFY_EVENTS=1000000 go test -run '^$$' -bench Verify -benchtime 3x -timeout 30m ./bench/

lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	go vet ./...
