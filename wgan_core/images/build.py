"""The one image-trainer builder: DCGAN-family networks, image data and a :class:`~wgan_core.trainer.Trainer`.

Recorded runs (:func:`wgan_core.images.train.train_images`, one call per DDP rank) and the live image
lesson both build their trainer here, so the two differ only in the options they pass.
"""

from __future__ import annotations

from wgan_core.images import ddp

__all__ = ["build_image_trainer"]


def build_image_trainer(config, *, bf16: bool = False, channels_last: bool = False, ctx: ddp.DistContext | None = None,
                        num_workers: int | None = None, skip_corrupt: bool = False, max_images: int | None = None,
                        data=None):
    """A Trainer for an image ``config`` (:func:`~wgan_core.images.models.build_image_models`, weights
    from ``config.seed``, and :func:`~wgan_core.images.data.build_image_data`).

    ``bf16``/``channels_last`` wrap both networks (:func:`~wgan_core.images.speed.accelerate`); with
    ``ctx`` (one process of a run, :func:`~wgan_core.images.ddp.init_distributed`) they are placed on
    its device and wrapped for DDP, and the rank draws its own noise and batches (``seed + rank``).
    ``num_workers``, ``skip_corrupt`` and ``max_images`` go to the data source; ``data``, a data source
    built elsewhere (e.g. a bench's synthetic images), replaces it.
    """
    from wgan_core.images.data import build_image_data
    from wgan_core.images.models import build_image_models
    from wgan_core.images.speed import accelerate
    from wgan_core.trainer import Trainer

    generator, critic = (accelerate(m, bf16, channels_last) for m in build_image_models(config))
    device = config.device
    if ctx is not None:
        generator, critic = ddp.wrap(generator, ctx), ddp.wrap(critic, ctx)
        config, device = config.replace(seed=config.seed + ctx.rank, device=ctx.device.type), ctx.device
    if data is None:
        data = build_image_data(config, device, num_workers=num_workers, skip_corrupt=skip_corrupt,
                                max_images=max_images)
    return Trainer(config, data=data, generator=generator, critic=critic)
