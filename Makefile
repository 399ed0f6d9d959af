.PHONY: start test setup bench

## make start: install what is missing and run the whole stack (Ctrl-C stops it)
start:
	@./scripts/start.sh

## make test: install what is missing, run every test against real servers, stop them
test:
	@./scripts/test.sh

setup:
	@./scripts/setup.sh
