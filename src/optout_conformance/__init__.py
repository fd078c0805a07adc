"""optout-conformance: the conformance suite for SMS opt-out APIs."""

__version__ = "0.1.0"
