"""``python -m lessons.notebooks build`` writes every notebook; ``check`` lists the stale ones (exit 1)."""

from __future__ import annotations

import argparse
import sys

from lessons import notebooks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessons.notebooks", description=__doc__)
    parser.add_argument("command", choices=("build", "check"),
                        help="build: write notebooks/ from the lesson modules; check: list notebooks that differ")
    args = parser.parse_args(argv)
    if args.command == "build":
        for path in notebooks.write_all():
            print(path.relative_to(notebooks.ROOT))
        return 0
    stale = notebooks.stale()
    for name in stale:
        print(f"stale: notebooks/{name} (run: python -m lessons.notebooks build)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
