"""``python -m wgan_core ...`` — see :mod:`wgan_core.cli`."""

from __future__ import annotations

import sys

from . import cli

if __name__ == "__main__":
    cli._FRESH_PROCESS = True  # nothing computed yet: compare may fork its workers (see cli._compare)
    sys.exit(cli.main())
