# The README's two commands are `go run ./cmd/takt serve` and `go test ./...`; these targets wrap them.
.PHONY: run test bench lint

run:
	go run ./cmd/takt serve --demo

test:
	go test ./...

# Benchmarks report ratios against raw JetStream measured in the same run; see docs/performance.md.
bench:
	go test -run '^$$' -bench . -benchtime 2000x ./bench/

lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	go vet ./...
