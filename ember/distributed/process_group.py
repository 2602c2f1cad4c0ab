"""The process group: which processes take part, and who is who, over MPI.

`mpiexec -n 4 python train.py` starts four copies of one program. Each calls init_process_group() and learns its
rank (0..3) and the world size (4) from MPI; a group is an MPI communicator, and every collective in
collectives.py runs on one. MPI (through mpi4py, and the `mpich` wheel from PyPI for the library and `mpiexec`)
is imported only here, and only when a group is made: `import ember.distributed` costs nothing.

A process that raises ends the whole job: the excepthook installed by init_process_group prints the traceback,
names the rank, and calls MPI_Abort, so the other ranks stop instead of waiting forever in their next collective.
"""
import enum
import importlib.util
import os
import sys
import warnings

# Variables that the MPI launchers (MPICH's hydra, Open MPI, PMIx, Slurm's PMI) put in a process's environment.
LAUNCHER_VARIABLES = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS")


class ReduceOp(enum.Enum):
    """How a reduction combines the ranks' values, elementwise (AVG: the sum divided by the group's size)."""
    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    AVG = "avg"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"


class ProcessGroup:
    """A set of processes that run collectives together: an MPI communicator and the global ranks in it."""

    def __init__(self, comm, ranks):
        self._comm, self._ranks = comm, list(ranks)
        self._group_rank = {global_rank: i for i, global_rank in enumerate(self._ranks)}

    def rank(self):
        return self._comm.Get_rank()

    def size(self):
        return self._comm.Get_size()

    def name(self):
        return "mpi"

    def __repr__(self):
        return f"ProcessGroup(ranks={self._ranks})"


class _NonGroupMember:
    """What new_group gives a process that is not in the new group (torch's GroupMember.NON_GROUP_MEMBER)."""

    def __repr__(self):
        return "GroupMember.NON_GROUP_MEMBER"


class GroupMember:
    WORLD = None  # the default group, once init_process_group has run
    NON_GROUP_MEMBER = _NonGroupMember()


group = GroupMember  # torch spells it dist.group.WORLD too

_groups = []  # every group made by new_group, freed by destroy_process_group
_previous_excepthook = None


def is_available():
    """True when MPI can be used here: mpi4py is installed (pip install "ember[distributed]")."""
    return importlib.util.find_spec("mpi4py") is not None


is_mpi_available = is_available


def is_nccl_available():
    return False


def is_gloo_available():
    return False


def is_initialized():
    return GroupMember.WORLD is not None


def _mpi():
    if not is_available():
        raise RuntimeError('ember.distributed needs MPI: pip install "ember[distributed]" (mpi4py and mpich)')
    from mpi4py import MPI  # initialises MPI on first import
    return MPI


def _threads_allowed():
    """Whether several threads may call MPI at once (mpi4py asks for MPI_THREAD_MULTIPLE by default)."""
    MPI = _mpi()
    return MPI.Query_thread() == MPI.THREAD_MULTIPLE


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the job mpiexec started: rank and world size come from MPI (init_method and store are not needed).

    backend "mpi" (or None). "gloo", torch's CPU backend, is served by MPI as well, so unchanged CPU programs run.
    """
    global _previous_excepthook
    if is_initialized():
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None and str(backend).lower() not in ("mpi", "gloo", "cpu:gloo", "cpu:mpi"):
        raise RuntimeError(f"ember.distributed runs on MPI and CPU arrays: backend {backend!r} is not available; "
                           "use init_process_group(backend='mpi')")
    if not any(name in os.environ for name in LAUNCHER_VARIABLES):
        raise RuntimeError("init_process_group: this program was not started by mpiexec, so there is no job to "
                           "join. Start one process per rank with `mpiexec -n 2 python train.py` or "
                           "`ember run --nproc 2 train.py`")
    MPI = _mpi()
    world = MPI.COMM_WORLD
    for given, actual, what in ((rank, world.Get_rank(), "rank"), (world_size, world.Get_size(), "world_size")):
        if given not in (-1, None) and int(given) != actual:
            raise ValueError(f"init_process_group: {what}={given} was given, but mpiexec started this process with "
                             f"{what} {actual}; leave {what} out (MPI decides it)")
    # our own communicator: a user's direct MPI calls on COMM_WORLD can never interleave with ours
    GroupMember.WORLD = ProcessGroup(world.Dup(), range(world.Get_size()))
    _share_the_cores(MPI, world)
    _previous_excepthook = sys.excepthook
    sys.excepthook = _abort_job


def _share_the_cores(MPI, world):
    """Unless the user chose (OMP_NUM_THREADS), give each process on this machine its share of the cores for
    BLAS, as torchrun does: N processes each running one BLAS thread per core oversubscribe the machine, and
    every matrix product then waits for busy cores (12 ms -> 130 ms for a small step on 2 cores)."""
    if "OMP_NUM_THREADS" in os.environ:
        return
    here = world.Split_type(MPI.COMM_TYPE_SHARED)  # the processes on this machine
    sharing = here.Get_size()
    here.Free()
    if sharing > 1:
        from threadpoolctl import threadpool_limits
        threadpool_limits(max(1, (os.cpu_count() or 1) // sharing), user_api="blas")


def _abort_job(kind, value, traceback):
    """An uncaught exception on one rank: report it, name the rank, and take the whole job down."""
    (_previous_excepthook or sys.__excepthook__)(kind, value, traceback)
    abort_job(kind)


def abort_job(kind):
    """Name this rank and the exception it raised, and end every process of the job (MPI_Abort)."""
    MPI = _mpi()
    world = MPI.COMM_WORLD
    sys.stderr.write(f"ember.distributed: rank {world.Get_rank()} (of {world.Get_size()}) raised "
                     f"{kind.__name__}; aborting all ranks\n")
    sys.stderr.flush()
    world.Abort(1)


def destroy_process_group(group=None):
    """Free a group made by new_group, or (no argument) every group: init_process_group may then run again."""
    global _previous_excepthook
    if group is GroupMember.NON_GROUP_MEMBER:
        return
    if group is None or group is GroupMember.WORLD:
        world = _default_group()
        for g in _groups + [world]:
            g._comm.Free()
        _groups.clear()
        GroupMember.WORLD = None
        if sys.excepthook is _abort_job:
            sys.excepthook = _previous_excepthook
        return
    if group not in _groups:
        raise ValueError(f"{group!r} is not a process group made by new_group (or it was destroyed already)")
    _groups.remove(group)
    group._comm.Free()


def _default_group():
    if GroupMember.WORLD is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    return GroupMember.WORLD


def _resolve(group, op_name):
    """The ProcessGroup to run op_name on, or None (with torch's warning) when this process is not in it."""
    if group is GroupMember.NON_GROUP_MEMBER:
        warnings.warn(f"Running {op_name} on global rank {get_rank()} which does not belong to the given group.",
                      stacklevel=3)
        return None
    return _default_group() if group is None else group


def get_rank(group=None):
    """This process's rank in group (the default group if None); -1 when it is not in group."""
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return (_default_group() if group is None else group).rank()


def get_world_size(group=None):
    """How many processes group has; -1 when this process is not in group."""
    if group is GroupMember.NON_GROUP_MEMBER:
        return -1
    return (_default_group() if group is None else group).size()


def get_backend(group=None):
    _resolve(group, "get_backend")
    return "mpi"


def get_process_group_ranks(group):
    return list((_default_group() if group is None else group)._ranks)


def get_group_rank(group, global_rank):
    """Translate a global rank into its rank inside group."""
    ranks = (_default_group() if group is None else group)._group_rank
    if global_rank not in ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return ranks[global_rank]


def get_global_rank(group, group_rank):
    ranks = get_process_group_ranks(group)
    if not 0 <= group_rank < len(ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {group}")
    return ranks[group_rank]


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of some of the processes. Every process of the default group must call it, members or not;
    ranks are global ranks, and inside the group they are numbered in increasing order (as torch does)."""
    world = _default_group()
    size = world.size()
    ranks = list(range(size)) if ranks is None else sorted(int(r) for r in ranks)
    if len(set(ranks)) != len(ranks) or any(not 0 <= r < size for r in ranks):
        raise ValueError(f"new_group: ranks must be distinct global ranks between 0 and {size - 1}, got {ranks}")
    MPI = _mpi()
    members = world._comm.Get_group()
    chosen = members.Incl(ranks)
    comm = world._comm.Create(chosen)  # collective over the whole default group
    chosen.Free()
    members.Free()
    if comm == MPI.COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    made = ProcessGroup(comm, ranks)
    _groups.append(made)
    return made
