r"""Training on images: the DCGAN family of models, image data sources, metrics, DDP and the CLI.

The WGAN paper's image experiments (Arjovsky, Chintala & Bottou, 2017, §4) train on LSUN bedrooms
at $64\times64$ with three generators — a DCGAN, a DCGAN without batch norm and with a constant
number of filters (Fig 7), and a 4-layer, 512-unit ReLU MLP (Fig 8) — against a DCGAN critic with
no sigmoid. This package provides those pieces to the one training loop,
:class:`wgan_core.trainer.Trainer`:

* :mod:`.models` — ``build_image_models(config) -> (generator, critic)``;
* :mod:`.data` — ``build_image_data(config, device) -> DataSource`` over the scikit-learn digits
  (offline default), an LSUN lmdb (:mod:`.lsun`) or any folder of images (:mod:`.folder`);
* :mod:`.classifier` — class coverage of generated digits (mode collapse on real data);
* :mod:`.train`, :mod:`.ddp`, :mod:`.cli` — recorded runs with exact resume, multi-process training,
  ``train-images``; :mod:`.speed`, :mod:`.flops` — GPU speed options and counted FLOPs;
  :mod:`.download` — fetching LSUN by hand.

Nothing here imports streamlit or plotly; heavy optional modules (``lmdb``, ``PIL``) are imported
where they are used.
"""
