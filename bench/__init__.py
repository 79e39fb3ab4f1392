"""Performance benchmarks for Advocate's knowledge base (`python -m bench.run_all`, see bench/README.md)."""
