.PHONY: start test setup bench

## make start: install what is missing and run the whole stack (Ctrl-C stops it)
## make start PROFILE=cluster: the same on a Temporal cluster (PostgreSQL, mutual TLS), two workers, two APIs
start:
ifeq ($(PROFILE),cluster)
	@./scripts/start-cluster.sh
else
	@./scripts/start.sh
endif

## make test: install what is missing, run every test against real servers, stop them
test:
	@./scripts/test.sh

setup:
	@./scripts/setup.sh
