"""torch.backends.cuda's switches (TensorFloat-32 matmuls): accepted and kept; ember's GPU matmuls are
full float32, which is what these flags' default asks for."""


class _Matmul:
    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True


matmul = _Matmul()


def is_built():
    from .. import cuda as _cuda
    return _cuda.is_available()
