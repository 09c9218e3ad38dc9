"""Versioned CGT crosswalk tables: loaded once, validated, looked up by code and date."""

from cgt_claimcheck.reference.loader import (
    ENV_REFERENCE_DIR,
    Reference,
    default_reference_dir,
    load_reference,
)

__all__ = ["ENV_REFERENCE_DIR", "Reference", "default_reference_dir", "load_reference"]
