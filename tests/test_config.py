"""TrainConfig: presets follow the papers, bad values raise ValueError naming the field, round trips."""

from __future__ import annotations

import pytest

from wgan_core.config import PRESETS, TrainConfig, preset, validate_hparam


def test_paper_presets_match_the_algorithms():
    p = preset("paper")
    assert (p.loss, p.optimizer, p.lr, p.clip_value, p.batch_size, p.n_critic) == ("wgan", "rmsprop", 5e-5, 0.01, 64, 5)
    g = preset("gp-paper")
    expected = ("wgan-gp", "adam", 1e-4, (0.0, 0.9), 10.0, 5)
    assert (g.loss, g.optimizer, g.lr, g.betas, g.lambda_gp, g.n_critic) == expected
    for name in PRESETS:
        assert isinstance(preset(name), TrainConfig)


@pytest.mark.parametrize("field, value", [
    ("loss", "hinge"), ("n_critic", 0), ("n_critic", 2.5), ("clip_value", 0.0), ("clip_value", -0.01),
    ("lambda_gp", -1.0), ("optimizer", "sgd"), ("lr", 0.0), ("lr", float("nan")), ("batch_size", 0),
    ("width", 0), ("depth", 0), ("seed", -1), ("device", "tpu"), ("dataset", "mnist"), ("image_size", 48),
    ("generator", "resnet"), ("critic_arch", "vit"), ("ngf", 0), ("ndf", -3), ("metrics_every", 0),
    ("eval_samples", 3), ("official_schedule", "yes"), ("clamp_bn", 1), ("compile", "max"), ("cpu_threads", -1),
    ("lsun_category", "../etc"), ("critic_lr_ratio", 0.0), ("data_on_device", None), ("track_update_cosine", "no"),
])
def test_bad_values_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


def test_betas_and_image_rules():
    with pytest.raises(ValueError, match="betas"):
        TrainConfig(betas=(0.5,))
    with pytest.raises(ValueError, match=r"betas\[1\]"):
        TrainConfig(betas=(0.5, 1.5))
    with pytest.raises(ValueError, match="data_root"):
        TrainConfig(dataset="lsun")
    assert TrainConfig(dataset="folder", data_root="/data/x").data_root == "/data/x"


def test_round_trip_and_replace():
    cfg = preset("toy-wgan-gp", seed=3, width=64)
    back = TrainConfig.from_dict(cfg.to_dict())
    assert back == cfg and back.betas == cfg.betas
    assert cfg.replace(lr=0.002).lr == 0.002
    with pytest.raises(ValueError, match="lr"):
        cfg.replace(lr=5.0)
    with pytest.raises(ValueError, match="colour"):
        cfg.replace(colour="red")
    with pytest.raises(ValueError, match="colour"):
        TrainConfig.from_dict({**cfg.to_dict(), "colour": "red"})
    with pytest.raises(ValueError, match="preset"):
        preset("fastest")


def test_live_hparams_validation():
    validate_hparam("clip_value", 0.05)
    validate_hparam("n_critic", 3)
    with pytest.raises(ValueError, match="n_critic"):
        validate_hparam("n_critic", 101)
    with pytest.raises(ValueError, match="batch_size"):
        validate_hparam("batch_size", 3)
