"""``python -m xavier_conformance.experiment``: see :mod:`xavier_conformance.experiment.cli`."""

import sys

from xavier_conformance.experiment.cli import main

sys.exit(main())
