"""``python -m bench.chaos [--quick] [--only WORD ...]``: the fault suite (``make chaos``)."""

import sys

from bench.chaos.suite import main

sys.exit(main())
