"""Image models: output shapes at 32 and 64, no sigmoid, parameter counts of Figs 7-8, config dispatch."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from wgan_core.config import TrainConfig
from wgan_core.images.models import (
    DCGANCritic,
    DCGANGenerator,
    MLPCritic,
    MLPGenerator,
    batchnorm_parameters,
    build_image_models,
    count_parameters,
    image_channels,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("size", [32, 64])
@pytest.mark.parametrize("make", [
    lambda s: DCGANGenerator(s, 16, 3, 8),
    lambda s: DCGANGenerator(s, 16, 3, 8, batch_norm=False, constant_filters=True),
    lambda s: MLPGenerator(s, 16, 3, hidden=32),
])
def test_generators_map_codes_to_images_in_tanh_range(size, make):
    torch.manual_seed(0)
    g = make(size)
    x = g(torch.randn(5, 16))
    assert x.shape == (5, 3, size, size)
    assert x.abs().max() <= 1.0
    assert g(torch.randn(2, 16, 1, 1)).shape == (2, 3, size, size)  # DCGAN-style 4-D codes work too


@pytest.mark.parametrize("size", [32, 64])
def test_critics_give_one_unbounded_score_per_image(size):
    torch.manual_seed(0)
    x = torch.randn(4, 1, size, size) * 50
    for critic in (DCGANCritic(size, 1, 8), DCGANCritic(size, 1, 8, batch_norm=False), MLPCritic(size, 1, 32)):
        out = critic(x)
        assert out.shape == (4,)
        assert not any(isinstance(m, nn.Sigmoid) for m in critic.modules())
    big = DCGANCritic(size, 1, 8, batch_norm=False)
    with torch.no_grad():
        for p in big.parameters():
            p.fill_(1.0)
    assert big(torch.ones(1, 1, size, size)).item() > 1.0  # no squashing into (0, 1)


def test_dcgan_widths_follow_the_paper_code():
    g = DCGANGenerator(64, 100, 3, 64)
    convs = [m for m in g.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [m.out_channels for m in convs] == [512, 256, 128, 64, 3]
    c = DCGANCritic(64, 3, 64)
    assert [m.out_channels for m in c.modules() if isinstance(m, nn.Conv2d)] == [64, 128, 256, 512, 1]


def test_fig7_generator_is_an_order_of_magnitude_smaller_and_has_no_batch_norm():
    full = DCGANGenerator(64, 100, 3, 64)
    small = DCGANGenerator(64, 100, 3, 64, batch_norm=False, constant_filters=True)
    assert not batchnorm_parameters(small)
    widths = {m.out_channels for m in small.modules() if isinstance(m, nn.ConvTranspose2d)}
    assert widths == {64, 3}
    assert 10 < count_parameters(full) / count_parameters(small) < 20


def test_fig8_generator_is_four_relu_layers_of_512():
    g = MLPGenerator(64, 100, 3)
    linears = [m for m in g.modules() if isinstance(m, nn.Linear)]
    assert [m.out_features for m in linears] == [512, 512, 512, 3 * 64 * 64]
    assert sum(isinstance(m, nn.ReLU) for m in g.modules()) == 3


def test_build_image_models_reads_the_config_and_drops_batch_norm_for_gp():
    base = dict(dataset="digits", image_size=32, ngf=8, ndf=8, z_dim=16)
    g, c = build_image_models(TrainConfig(loss="wgan", **base))
    assert isinstance(g, DCGANGenerator) and g(torch.randn(2, 16)).shape == (2, 1, 32, 32)
    assert batchnorm_parameters(c)
    _, c_gp = build_image_models(TrainConfig(loss="wgan-gp", **base))
    assert not batchnorm_parameters(c_gp)
    g, c = build_image_models(TrainConfig(loss="gan", generator="mlp", critic_arch="mlp", **base))
    assert isinstance(g, MLPGenerator) and isinstance(c, MLPCritic)
    g, _ = build_image_models(TrainConfig(loss="wgan", generator="dcgan-nobn", **base))
    assert not batchnorm_parameters(g)


def test_bad_arguments_raise_value_errors_naming_them():
    with pytest.raises(ValueError, match="image_size"):
        DCGANGenerator(48)
    with pytest.raises(ValueError, match="ngf"):
        DCGANGenerator(32, ngf=0)
    with pytest.raises(ValueError, match="dataset"):
        image_channels("8gaussians")
    with pytest.raises(ValueError, match="expects codes"):
        DCGANGenerator(32, 16, 1, 4)(torch.randn(2, 15))
    with pytest.raises(ValueError, match="critic expects"):
        DCGANCritic(32, 1, 4)(torch.randn(2, 3, 32, 32))


def test_counted_flops_match_the_layer_shapes():
    from wgan_core.images.flops import forward_flops, generator_iteration_flops

    # one 3x3 convolution 2->4 channels, 5x5 output: 2 * 2*4*9*25 FLOPs; a Linear 10->3: 2*30
    conv = nn.Conv2d(2, 4, 3, padding=1)
    assert forward_flops(conv, torch.zeros(1, 2, 5, 5)) == 2 * 2 * 4 * 9 * 25
    assert forward_flops(nn.Linear(10, 3), torch.zeros(1, 10)) == 60
    counted = generator_iteration_flops(DCGANGenerator(64, 100, 3, 64), DCGANCritic(64, 3, 64), 100, (3, 64, 64), 64, 5)
    assert counted["generator"] == 209_256_448 and counted["critic"] == 207_634_432
    assert abs(counted["per_g_step"] / 1e9 - 532.4) < 0.1  # "about 532 GFLOP per generator step"


def test_speed_wrapper_keeps_the_maths_and_the_checkpoint_format():
    from wgan_core.images.speed import accelerate

    torch.manual_seed(0)
    critic = DCGANCritic(32, 1, 4, batch_norm=False)
    x = torch.randn(3, 1, 32, 32)
    fast = accelerate(critic, bf16=True, channels_last=True)
    assert fast(x).dtype == torch.float32 and torch.allclose(fast(x), critic(x), atol=5e-2, rtol=5e-2)
    assert fast.state_dict().keys() == critic.state_dict().keys()
    assert accelerate(critic) is critic
    g = accelerate(DCGANGenerator(32, 8, 1, 4), channels_last=True)
    assert g.z_dim == 8 and g(torch.randn(2, 8)).shape == (2, 1, 32, 32)
