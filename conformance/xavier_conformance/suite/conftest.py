"""Loads the conformance plugin for ``pytest <this directory>`` runs (this is the rootdir)."""

pytest_plugins = ["xavier_conformance.plugin"]
