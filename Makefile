# mawb — every task a developer or CI needs. `make demo` and `make test` are the two commands of README.md.
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: all build release demo test lint lint-tools fmt bench deps clean toolchain

all: build

toolchain:
	@command -v $(CARGO) >/dev/null 2>&1 || { echo "cargo not found: install Rust with rustup (https://rustup.rs)"; exit 2; }

# rustfmt and clippy are only needed to lint; installed through rustup when missing.
lint-tools: toolchain
	@$(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy

build: toolchain
	$(CARGO) build

release: toolchain
	$(CARGO) build --release

# The whole product in one command: sample batch + in-process ACP sandbox + full run.
# Built with the dev profile (dependencies optimised, see Cargo.toml), the profile `make test` uses too, so
# `make test` after `make demo` reuses most of the build (it still compiles the test-only crates and the
# few shared crates the tests enable more features of). `cargo fetch` downloads every crate (test ones
# included) first, so `make test` then needs no network.
demo: toolchain
	$(CARGO) fetch
	$(CARGO) run -- demo

# Every test: unit tests beside the code, integration tests driving the real binary and sandbox.
test: toolchain
	$(CARGO) test --workspace

lint: lint-tools
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt: lint-tools
	$(CARGO) fmt --all

# Criterion benches, one per stage; figures land in target/criterion and on stdout.
bench: toolchain
	$(CARGO) bench

# Which dependencies are behind (nothing is changed): "Updating"/"Locking" lines are compatible releases
# that `cargo update` would take; "Unchanged … (available: …)" lines need a new version in Cargo.toml.
deps: toolchain
	$(CARGO) update --dry-run --verbose

clean:
	$(CARGO) clean
