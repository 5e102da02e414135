"""``python -m xavier_conformance.mnist``: see :mod:`xavier_conformance.mnist.cli`."""

import sys

from xavier_conformance.mnist.cli import main

sys.exit(main())
