# mawb — every task a developer or CI needs. `make demo` and `make test` are the two commands of README.md.
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: all build release demo test lint lint-tools fmt bench bench-peer deps clean toolchain

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

# mawb prepare side by side with the Python peer (pandas + openpyxl/calamine + lxml, benches/peer): one
# generated batch, RUNS interleaved runs of each, median times, ratios, and a check that the peers write
# the same requests (exit 1 if not); it first waits until 400 s after it last deleted outputs (see
# QUIET_AFTER_DELETE_S in bench.py). Not part of `make test`. Its venv, batch and outputs live under the
# cargo target folder; `make bench-peer HAWBS=10000` is a quick try.
MAWBS ?= 50
HAWBS ?= 100000
RUNS ?= 5
PYTHON ?= python3.11
PEER_DIR = $(or $(CARGO_TARGET_DIR),target)/peer
PEER_BATCH = $(PEER_DIR)/batch-$(MAWBS)x$(HAWBS)-seed7
MAWB_RELEASE = $(or $(CARGO_TARGET_DIR),target)/release/mawb

bench-peer: toolchain $(PEER_DIR)/venv/installed
	$(CARGO) build --release
	@if [ ! -f $(PEER_BATCH).complete ] || [ $(MAWB_RELEASE) -nt $(PEER_BATCH).complete ]; then \
		rm -rf $(PEER_BATCH) $(PEER_BATCH).complete && \
		echo "writing the batch: mawb samples $(PEER_BATCH) --mawbs $(MAWBS) --hawbs $(HAWBS) --seed 7" && \
		$(MAWB_RELEASE) samples $(PEER_BATCH) --mawbs $(MAWBS) --hawbs $(HAWBS) --seed 7 >/dev/null && \
		touch $(PEER_BATCH).complete; \
	fi
	$(PEER_DIR)/venv/bin/python benches/peer/bench.py --mawb $(MAWB_RELEASE) --batch $(PEER_BATCH) \
		--work $(PEER_DIR)/runs --runs $(RUNS)

$(PEER_DIR)/venv/installed: benches/peer/requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install CPython 3.11, or pass PYTHON=..."; exit 2; }
	rm -rf $(PEER_DIR)/venv
	$(PYTHON) -m venv $(PEER_DIR)/venv
	$(PEER_DIR)/venv/bin/pip install --quiet --disable-pip-version-check -r benches/peer/requirements.txt
	touch $@

# Which dependencies are behind (nothing is changed): "Updating"/"Locking" lines are compatible releases
# that `cargo update` would take; "Unchanged … (available: …)" lines need a new version in Cargo.toml.
deps: toolchain
	$(CARGO) update --dry-run --verbose

clean:
	$(CARGO) clean
