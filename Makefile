# The two set-up commands of the README.
.PHONY: run test

# Starts Warden on SQLite and ./var, migrating on first run (WARDEN_BIND=HOST:PORT to move it).
run:
	./scripts/bootstrap
	.venv/bin/warden serve

# Lint, types, and every test on SQLite and on a throwaway PostgreSQL.
test:
	./scripts/test
