"""xavier_conformance: proves that every backend draws exactly the distribution the spec defines.

Run ``xavier-conformance`` (or ``python -m xavier_conformance``) for the report; the statistics
live in :mod:`xavier_conformance.stats`.
"""
