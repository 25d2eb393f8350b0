"""shareformer in PyTorch: the same model, sharing plan, checkpoint format and data pipeline as the
TypeScript library, for training on many GPUs or machines (see ../train_ddp.py)."""

from .checkpoint import load_checkpoint, save_checkpoint
from .config import DEFAULT_CONFIG, Plan, parameter_shapes, resolve_config
from .model import ShareformerLM

__all__ = [
    "DEFAULT_CONFIG",
    "Plan",
    "ShareformerLM",
    "load_checkpoint",
    "parameter_shapes",
    "resolve_config",
    "save_checkpoint",
]
