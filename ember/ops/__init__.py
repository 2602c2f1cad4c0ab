"""The op catalogue: one Op class per differentiable operation, forward and backward side by side."""
