.PHONY: demo test lint bench

demo:  ## install, then run the platform on the embedded default with demo data
	bash scripts/demo.sh

test:  ## install, check services, start Kafka (Tansu), run linters and the whole suite
	bash scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && PYTHONPATH=.:platform .venv/bin/lint-imports && .venv/bin/mypy .
