"""``python -m alstrials.cli``: the ``alstrials`` command."""

import sys

from alstrials.cli import main

sys.exit(main())
