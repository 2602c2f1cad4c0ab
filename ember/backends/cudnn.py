"""torch.backends.cudnn's flags. ember does not use cuDNN: they are accepted and kept, nothing more."""
enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    return False


def version():
    return None
