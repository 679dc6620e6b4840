"""``python -m wgan_core ...`` — see :mod:`wgan_core.cli`."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(fresh_process=True))  # nothing computed yet: compare may fork its workers
