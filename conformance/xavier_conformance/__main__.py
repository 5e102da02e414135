"""``python -m xavier_conformance``: the same as the ``xavier-conformance`` command."""

import sys

from xavier_conformance.cli import main

sys.exit(main())
