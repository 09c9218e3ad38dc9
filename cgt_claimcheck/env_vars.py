"""Environment variables the tool reads (a tiny module: the CLI imports it at start-up)."""

ENV_REFERENCE_DIR = "CGT_CLAIMCHECK_REFERENCE_DIR"  # a reference table set to use instead of the shipped one
ENV_CACHE_DIR = "CGT_CLAIMCHECK_CACHE_DIR"  # where validated tables are cached ("off" disables)
ENV_DEBUG = "CGT_CLAIMCHECK_DEBUG"  # show tracebacks of internal errors
