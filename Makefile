# The two commands a new machine needs: `make run` and `make test`.
# Everything else is a convenience for developers.

CARGO ?= cargo

.PHONY: run build serve test lint fmt release bench same-output services stop-services clean help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

run: ## Update the catalogs, build the sample site into public/, send the sample newsletter to outbox/
	$(CARGO) run --quiet -p nashr -- run
	$(CARGO) run --quiet -p nashr -- subscribers import content/newsletters/subscribers-sample.csv
	$(CARGO) run --quiet -p nashr -- newsletter render 2026-12
	$(CARGO) run --quiet -p nashr -- newsletter send 2026-12

build: ## Build the site only (no catalog update)
	$(CARGO) run --quiet -p nashr -- build

serve: ## Preview the site on http://127.0.0.1:4000/ with live reload and translation marks
	$(CARGO) run --quiet -p nashr -- serve

test: services lint ## Check formatting and lints, then run every test
	$(CARGO) test --workspace

lint: ## cargo fmt --check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --quiet -- -D warnings

fmt: ## Format the code
	$(CARGO) fmt --all

release: ## The binary to install: release build optimised with a profile of its own work, target/pgo/nashr (scripts/pgo-build.sh)
	sh scripts/pgo-build.sh

bench: ## nashr (make release's binary; the plain release build for comparison) vs Hugo on generated sites (BENCH_N=1000 for the quick one), then newsletter sending: SQLite, and 1-3 workers on PostgreSQL (see BENCHMARKS.md)
	sh scripts/bench-tools.sh
	sh scripts/pgo-build.sh
	$(CARGO) build --release --quiet -p nashr
	NASHR_BIN=$(CURDIR)/target/pgo/nashr NASHR_PLAIN_BIN=$(CURDIR)/target/release/nashr $(CARGO) bench -p nashr-tests --bench build
	sh scripts/bench-newsletter.sh

same-output: ## Show that `make run`'s output (sample and 1,000-article corpus) is byte-identical between BASE=<rev> and NEW=<rev> (default: the working tree)
	CARGO=$(CARGO) sh scripts/same-output.sh $(BASE) $(NEW)

services: ## Install and start what the tests need: a real WordPress on 127.0.0.1, compare-locales, aiosmtpd, PostgreSQL, headless Chromium
	bash scripts/wordpress.sh start
	@sh scripts/compare-locales.sh
	@sh scripts/smtp.sh
	@sh scripts/postgres.sh
	@sh scripts/chromium.sh

stop-services: ## Stop the test WordPress
	bash scripts/wordpress.sh stop

clean: ## Remove build products and the generated site
	$(CARGO) clean
	rm -rf public publish
