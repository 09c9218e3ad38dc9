"""Environment variables the tool reads (a tiny module: the CLI imports it at start-up)."""

ENV_REFERENCE_DIR = "CGT_CLAIMCHECK_REFERENCE_DIR"  # a reference table set to use instead of the shipped one
ENV_CACHE_DIR = "CGT_CLAIMCHECK_CACHE_DIR"  # where validated tables are cached ("off" disables)
ENV_DEBUG = "CGT_CLAIMCHECK_DEBUG"  # show tracebacks of internal errors
# Which rule checks run while the engine moves off pandas (issue 24): "arrow" (default: a rule's
# Arrow check where it has one), "pandas", or "parity" (both, and any difference is an error; the
# test suite runs this way).
ENV_RULE_ENGINE = "CGT_CLAIMCHECK_RULE_ENGINE"
