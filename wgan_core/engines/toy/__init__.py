"""The toy engine: hand-written gradients for the toy MLPs, the trainer's fast path on a CPU.

* :mod:`.engine` — :class:`ToyKernelEngine`, the engine the trainer's seam
  (:func:`wgan_core.engines.pick_engine`) takes for the toys, and :func:`unsupported_reason`;
* :mod:`.kernel` — :class:`MLPKernel`, forward and backward passes of a Linear/ReLU MLP by hand,
  the WGAN-GP penalty's gradient included;
* :mod:`.flat` — flat parameter buffers (:func:`flatten_parameters`, :func:`flat_view`);
* :mod:`.optim` — :class:`LeanRMSprop`, :class:`LeanAdam`: torch's arithmetic on flat buffers;
* :mod:`.grads` — the losses' derivatives with respect to the network outputs.

The trainer runs without this package (``engine="autograd"``). Every gradient here is checked
against autograd in ``tests/test_mlp_kernel.py`` and ``tests/test_flat_params.py``.
"""

from .engine import ToyKernelEngine, unsupported_reason
from .flat import FlatCache, flat_view, flatten_parameters
from .grads import OUTPUT_GRADS, critic_loss_grad, generator_loss_grad
from .kernel import MLPKernel, kernel_for
from .optim import LeanAdam, LeanRMSprop

__all__ = ["ToyKernelEngine", "unsupported_reason", "MLPKernel", "kernel_for", "flatten_parameters",
           "flat_view", "FlatCache", "LeanRMSprop", "LeanAdam", "OUTPUT_GRADS", "critic_loss_grad",
           "generator_loss_grad"]
