"""ember.distributed: many processes training one model (PyTorch's torch.distributed), over MPI.

    mpiexec -n 4 python train.py          (or: ember run --nproc 4 train.py)

Each process calls init_process_group(), learns its rank and the world size, and exchanges tensors with the
others through collectives (all_reduce, broadcast, ...). ember.nn.parallel.DistributedDataParallel builds
data-parallel training on them. MPI comes from `pip install "ember[distributed]"` (mpi4py and mpich).
"""
from .collectives import (Work, all_gather, all_gather_into_tensor, all_gather_object, all_reduce, barrier,
                          broadcast, broadcast_object_list, gather, irecv, isend, recv, reduce, reduce_scatter_tensor,
                          scatter, send)
from .process_group import (GroupMember, ProcessGroup, ReduceOp, destroy_process_group, get_backend,
                            get_global_rank, get_group_rank, get_process_group_ranks, get_rank, get_world_size, group,
                            init_process_group, is_available, is_gloo_available, is_initialized, is_mpi_available,
                            is_nccl_available, new_group)

__all__ = ["is_available", "is_mpi_available", "is_nccl_available", "is_gloo_available", "init_process_group",
           "is_initialized", "destroy_process_group", "get_rank", "get_world_size", "get_backend", "new_group",
           "get_process_group_ranks", "get_group_rank", "get_global_rank", "group", "GroupMember", "ProcessGroup",
           "ReduceOp", "Work", "all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor", "gather",
           "scatter", "reduce_scatter_tensor", "barrier", "send", "recv", "isend", "irecv", "all_gather_object",
           "broadcast_object_list"]
