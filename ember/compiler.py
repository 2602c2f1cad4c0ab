"""torch.compiler's everyday names. ember never compiles (ember/_compile.py), so nothing is ever being compiled."""
from ._compile import compile


def disable(fn=None, recursive=True, *, reason=None):
    """fn unchanged (torch keeps the compiler out of it; ember's compiler never goes in). Also a decorator."""
    if fn is None:
        return lambda fn: fn
    return fn


def is_compiling():
    """False: ember runs every model eagerly."""
    return False


def is_dynamo_compiling():
    """False: ember runs every model eagerly."""
    return False


def is_exporting():
    """False: ember does not export graphs."""
    return False


def reset():
    """Nothing to clear: ember keeps no compiled code."""


__all__ = ["compile", "disable", "is_compiling", "is_dynamo_compiling", "is_exporting", "reset"]
