"""cgt_claimcheck: catch problems in Medicaid cell and gene therapy claims before submission."""

__version__ = "0.1.0"
