r"""Download helper for LSUN scene categories (run by hand; never at run time or in tests).

The LSUN scene data (Yu et al., 2015) is served as one zip per category and split, each holding an
lmdb directory ``<category>_<split>_lmdb/`` — the layout :mod:`wgan_core.images.lsun` reads.
The WGAN paper trains on ``bedroom`` (about 3 million images, ~43 GB zipped)::

    python -m wgan_core.images.download bedroom --out /data/lsun      # then
    python -m wgan_core train-images --dataset lsun --data-root /data/lsun

The helper streams to ``<name>.zip.part`` (resuming a partial file with an HTTP range request),
renames it when complete, and extracts with a check that every member stays inside ``--out``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import urllib.request
import zipfile
from pathlib import Path

__all__ = ["CATEGORIES", "BASE_URL", "lsun_url", "download", "safe_extract", "main"]

BASE_URL = "http://dl.yf.io/lsun/scenes"
#: The ten LSUN scene categories.
CATEGORIES = ("bedroom", "bridge", "church_outdoor", "classroom", "conference_room", "dining_room",
              "kitchen", "living_room", "restaurant", "tower")
SPLITS = ("train", "val")
CHUNK = 1 << 20


def lsun_url(category: str, split: str = "train") -> str:
    """URL of the zip of one category and split; ValueError for an unknown name."""
    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {CATEGORIES}, got {category!r}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    return f"{BASE_URL}/{category}_{split}_lmdb.zip"


def safe_extract(archive: Path, out_dir: Path) -> list[Path]:
    """Extract ``archive`` into ``out_dir``; ValueError if a member would land outside it."""
    out_dir = Path(out_dir).resolve()
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():
            target = (out_dir / name).resolve()
            if target != out_dir and out_dir not in target.parents:
                raise ValueError(f"zip member {name!r} would be extracted outside {out_dir}")
        zf.extractall(out_dir)
        return sorted({out_dir / Path(n).parts[0] for n in zf.namelist()})


def download(category: str, out_dir, split: str = "train", extract: bool = True, progress: bool = True) -> Path:
    """Fetch ``<category>_<split>_lmdb.zip`` into ``out_dir`` and (by default) extract it.

    Returns the lmdb directory (when extracted) or the zip file.
    """
    url = lsun_url(category, split)
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    final = out / f"{category}_{split}_lmdb.zip"
    if not final.exists():
        part = final.with_name(final.name + ".part")
        have = part.stat().st_size if part.exists() else 0
        request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
        with urllib.request.urlopen(request, timeout=60) as resp:  # noqa: S310 - fixed http(s) URL
            if have and resp.status != 206:  # the server ignored the range: start again
                have = 0
            total = int(resp.headers.get("Content-Length", 0)) + have
            bar = None
            if progress:
                from tqdm import tqdm

                bar = tqdm(total=total or None, initial=have, unit="B", unit_scale=True, desc=final.name)
            with open(part, "ab" if have else "wb") as fh:
                while chunk := resp.read(CHUNK):
                    fh.write(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
            if bar is not None:
                bar.close()
        os.replace(part, final)
    if not extract:
        return final
    safe_extract(final, out)
    lmdb_dir = out / f"{category}_{split}_lmdb"
    if not (lmdb_dir / "data.mdb").is_file():
        raise ValueError(f"{final} did not contain {lmdb_dir.name}/data.mdb")
    return lmdb_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Download an LSUN scene category (lmdb) for train-images.")
    parser.add_argument("category", choices=CATEGORIES)
    parser.add_argument("--out", required=True, help="directory that will hold <category>_<split>_lmdb/")
    parser.add_argument("--split", choices=SPLITS, default="train")
    parser.add_argument("--keep-zip", action="store_true", help="keep the zip after extracting")
    args = parser.parse_args(argv)
    path = download(args.category, args.out, args.split)
    if not args.keep_zip:
        os.remove(Path(args.out).expanduser() / f"{args.category}_{args.split}_lmdb.zip")
    print(f"LSUN {args.category} ({args.split}) ready at {path}; free space left: "
          f"{shutil.disk_usage(path).free / 1e9:.1f} GB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
