"""ember.amp: torch.amp's autocast, GradScaler and the custom_fwd/custom_bwd decorators.

Without a GPU, autocast("cuda") and GradScaler("cuda") warn and switch themselves off, as torch does;
GradScaler("cpu") scales, unscales, skips non-finite steps and updates its scale with torch's numbers.
CPU autocast enabled is refused with a clear error (ember has no bfloat16 and no CPU autocast op lists).
"""
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["autocast", "custom_bwd", "custom_fwd", "is_autocast_available", "GradScaler"]
