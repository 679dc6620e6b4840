"""Image data: LSUN lmdb reader (WebP + JPEG + corrupt entry), folders, digits, class coverage, grids."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest
import torch
from PIL import Image

from wgan_core.config import TrainConfig
from wgan_core.images.classifier import class_coverage, digit_classifier
from wgan_core.images.data import StreamingImageSource, TensorImageSource, build_image_data
from wgan_core.images.digits import N_DIGITS, load_digit_images
from wgan_core.images.folder import FolderDataset
from wgan_core.images.grid import save_grid, tile
from wgan_core.images.lsun import LSUNDataset, build_index, find_lsun, index_path
from wgan_core.images.preprocess import CorruptImageError, resize_center_crop


def _encoded(colour, fmt: str, size=(48, 32)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format=fmt, quality=95)
    return buf.getvalue()


@pytest.fixture
def lsun_root(tmp_path):
    """A tiny LSUN-style lmdb: two WebP and two JPEG values, and one corrupt value."""
    import lmdb

    root = tmp_path / "data"
    path = root / "bedroom_train_lmdb"
    path.mkdir(parents=True)
    env = lmdb.open(str(path), map_size=8 << 20)
    with env.begin(write=True) as txn:
        txn.put(b"a1", _encoded((255, 0, 0), "WEBP"))
        txn.put(b"b2", _encoded((0, 255, 0), "JPEG"))
        txn.put(b"c3", _encoded((0, 0, 255), "WEBP"))
        txn.put(b"d4", b"RIFF\x00\x00\x00\x00WEBPgarbage")  # truncated WebP: corrupt
        txn.put(b"e5", _encoded((255, 255, 255), "JPEG"))
    env.close()
    return root


def test_lsun_keys_are_indexed_once_into_the_cache_dir(lsun_root, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.chdir(tmp_path)
    before = set(tmp_path.iterdir())
    path = find_lsun(lsun_root, "bedroom")
    keys = build_index(path, cache)
    assert keys == [b"a1", b"b2", b"c3", b"d4", b"e5"]
    assert index_path(path, cache).is_file() and index_path(path, cache).parent == cache
    assert set(tmp_path.iterdir()) - before == {cache}  # nothing written to the working directory
    index_path(path, cache).write_text("6131\n")  # a cached index is read, not rebuilt
    assert build_index(path, cache) == [b"a1"]


def test_lsun_decodes_webp_and_jpeg_and_names_a_corrupt_key(lsun_root, tmp_path):
    ds = LSUNDataset(find_lsun(lsun_root), image_size=16, cache_dir=tmp_path / "c")
    assert ds._env is None  # opened lazily
    red, ok = ds[0]
    assert ok and red.shape == (3, 16, 16) and red.dtype == torch.uint8
    assert red[0].float().mean() > 240 and red[1].float().mean() < 15
    green, _ = ds[1]
    assert green[1].float().mean() > 240
    with pytest.raises(CorruptImageError, match="d4"):
        ds[3]
    clone = pickle.loads(pickle.dumps(ds))  # what a DataLoader worker receives
    assert clone._env is None and clone[4][0].float().mean() > 240


def test_lsun_without_webp_support_fails_early_with_a_clear_message(lsun_root, tmp_path, monkeypatch):
    import wgan_core.images.lsun as lsun_module

    monkeypatch.setattr(lsun_module, "webp_supported", lambda: False)
    with pytest.raises(RuntimeError, match="WebP support"):
        LSUNDataset(find_lsun(lsun_root), image_size=16, cache_dir=tmp_path / "c")


def test_lsun_corrupt_entries_are_skipped_and_counted_through_workers(lsun_root, tmp_path):
    ds = LSUNDataset(find_lsun(lsun_root), image_size=16, cache_dir=tmp_path / "c", skip_corrupt=True)
    assert ds[3][1] is False
    source = StreamingImageSource(ds, "cpu", batch_size=5, num_workers=2, seed=0)
    x = source.sample(8)  # two epochs of four good images, through two worker processes
    assert x.shape == (8, 3, 16, 16) and x.min() >= -1 and x.max() <= 1
    assert source.skipped == 2
    assert source.evaluate(x)["w1_pixels"] >= 0


def test_build_image_data_finds_lsun_under_the_data_root_and_can_hold_it_on_device(lsun_root, monkeypatch, tmp_path):
    monkeypatch.setenv("WGAN_CACHE_DIR", str(tmp_path / "cache"))
    cfg = TrainConfig(dataset="lsun", data_root=str(lsun_root), image_size=32, data_on_device=True)
    source = build_image_data(cfg, "cpu", num_workers=0, skip_corrupt=True)
    assert isinstance(source, TensorImageSource) and len(source) == 4 and source.skipped == 1
    assert source.shape == (3, 32, 32)
    with pytest.raises(ValueError, match="data_root"):
        build_image_data(TrainConfig(dataset="lsun", data_root=str(tmp_path / "nowhere")), "cpu")


def test_folder_reader_resizes_short_side_and_centre_crops(tmp_path):
    img = np.zeros((40, 80, 3), np.uint8)
    img[:, 20:60] = 255  # a white central square on a black wide image
    Image.fromarray(img).save(tmp_path / "wide.png")
    (tmp_path / "sub").mkdir()
    Image.fromarray(img[:, :40]).save(tmp_path / "sub" / "b.jpg")
    (tmp_path / "notes.txt").write_text("not an image")
    ds = FolderDataset(tmp_path, image_size=20)
    assert len(ds) == 2
    x, ok = ds[1]  # sorted: sub/b.jpg, wide.png
    assert ok and x.shape == (3, 20, 20) and x.float().mean() > 250
    (tmp_path / "zz.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(CorruptImageError, match="zz.png"):
        FolderDataset(tmp_path, 20)[2]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        FolderDataset(tmp_path / "empty")
    with pytest.raises(ValueError, match="does not exist"):
        FolderDataset(tmp_path / "none")


def test_resize_center_crop_keeps_the_middle():
    img = Image.fromarray(np.concatenate([np.zeros((10, 10, 3)), np.full((10, 20, 3), 255), np.zeros((10, 10, 3))],
                                         axis=1).astype(np.uint8))
    out = resize_center_crop(img, 10)
    assert out.shape == (3, 10, 10) and out.min() > 200


def test_digits_are_offline_upscaled_and_in_range():
    images, labels = load_digit_images(32)
    assert images.shape == (N_DIGITS, 1, 32, 32) and images.dtype == torch.uint8
    assert sorted(set(labels.tolist())) == list(range(10))
    source = build_image_data(TrainConfig(dataset="digits", image_size=32, seed=3), "cpu")
    x = source.sample(64)
    assert x.shape == (64, 1, 32, 32) and x.min() >= -1 and x.max() <= 1 and x.min() == -1
    state = source.state_dict()
    again = source.sample(7)
    source.load_state_dict(state)
    assert torch.equal(source.sample(7), again)  # sampling resumes exactly


def test_classifier_is_accurate_and_coverage_sees_collapse():
    assert digit_classifier().test_accuracy > 0.95
    images, labels = load_digit_images(32)
    real = images.float() / 127.5 - 1
    full = class_coverage(real)
    assert full["classes_covered"] == 10 and full["class_kl"] < 0.01
    sevens = class_coverage(real[labels == 7])
    assert sevens["classes_covered"] == 1 and sevens["class_kl"] > 2.2  # near log 10 = 2.303
    two = class_coverage(torch.cat([real[labels == 1][:50], real[labels == 4][:50]]))
    assert two["classes_covered"] == 2 and abs(two["class_kl"] - np.log(5)) < 0.05
    source = build_image_data(TrainConfig(dataset="digits"), "cpu")
    metrics = source.evaluate(real[:300])
    assert set(metrics) == {"w1_pixels", "classes_covered", "class_kl"}
    assert metrics["w1_pixels"] < source.evaluate(torch.zeros(300, 1, 32, 32))["w1_pixels"]


def test_grid_png_round_trip(tmp_path):
    x = torch.linspace(-1, 1, 6 * 3 * 4 * 4).reshape(6, 3, 4, 4)
    arr = tile(x, nrow=3, padding=1)
    assert arr.shape == (2 * 5 + 1, 3 * 5 + 1, 3)
    path = save_grid(x, tmp_path / "g" / "grid.png", nrow=3)
    back = np.asarray(Image.open(path))
    assert np.array_equal(back, tile(x, nrow=3))
    assert back[2, 2, 0] == 0 and list(tmp_path.joinpath("g").iterdir()) == [path]


def test_lsun_download_helper_builds_urls_and_extracts_safely(tmp_path):
    import zipfile

    from wgan_core.images.download import lsun_url, safe_extract

    assert lsun_url("bedroom") == "http://dl.yf.io/lsun/scenes/bedroom_train_lmdb.zip"
    with pytest.raises(ValueError, match="category"):
        lsun_url("kitchens")
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as zf:
        zf.writestr("bedroom_train_lmdb/data.mdb", b"x")
    assert safe_extract(good, tmp_path / "out") == [(tmp_path / "out" / "bedroom_train_lmdb").resolve()]
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../escape.txt", b"x")
    with pytest.raises(ValueError, match="outside"):
        safe_extract(evil, tmp_path / "out2")
    assert not (tmp_path / "escape.txt").exists()


def test_data_root_may_be_the_lmdb_folder_itself_or_its_parent(lsun_root, tmp_path, monkeypatch):
    """Users often point --data-root at bedroom_train_lmdb/ itself: both forms find the same lmdb."""
    from wgan_core.images.cli import main

    monkeypatch.setenv("WGAN_CACHE_DIR", str(tmp_path / "cache"))
    lmdb_dir = lsun_root / "bedroom_train_lmdb"
    assert find_lsun(lsun_root) == find_lsun(lmdb_dir) == lmdb_dir
    assert find_lsun(tmp_path / "nowhere") is None and find_lsun(lsun_root, "church_outdoor") is None
    out = tmp_path / "run"
    assert main(["--dataset", "lsun", "--data-root", str(lmdb_dir), "--image-size", "32", "--steps", "2",
                 "--ngf", "4", "--ndf", "4", "--z-dim", "8", "--batch-size", "4", "--skip-corrupt", "--device", "cpu",
                 "--metrics-every", "1", "--grid-every", "1", "--eval-samples", "16", "--no-progress",
                 "--out", str(out)]) == 0
    summary = __import__("json").loads((out / "summary.json").read_text())
    assert summary["g_step"] == 2 and summary["dataset"] == "lsun"
    with pytest.raises(ValueError, match="neither an lmdb directory"):
        build_image_data(TrainConfig(dataset="lsun", data_root=str(lsun_root / "elsewhere")), "cpu")
