"""The conformance suite's test modules, shipped in the wheel so an installed copy can run them."""
