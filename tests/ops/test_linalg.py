"""Matrix products against torch, including 1-D promotion and batch broadcasting."""
import pytest

from helpers import check_gradcheck, check_parity, sample

CASES = [
    ("mm", lambda lib, a, b: a.mm(b), (3, 4), (4, 5)),
    ("matmul_2d", lambda lib, a, b: a @ b, (1, 4), (4, 1)),
    ("matmul_vec_mat", lambda lib, a, b: a @ b, (4,), (4, 3)),
    ("matmul_mat_vec", lambda lib, a, b: lib.matmul(a, b), (3, 4), (4,)),
    ("matmul_vec_vec", lambda lib, a, b: a @ b, (4,), (4,)),
    ("matmul_batched", lambda lib, a, b: a @ b, (2, 3, 4), (2, 4, 5)),
    ("matmul_broadcast_batch", lambda lib, a, b: a @ b, (2, 1, 3, 4), (5, 4, 2)),
    ("matmul_batch_with_mat", lambda lib, a, b: a @ b, (2, 3, 4), (4, 2)),
    ("matmul_vec_batch", lambda lib, a, b: a @ b, (4,), (3, 4, 2)),
    ("bmm", lambda lib, a, b: a.bmm(b), (2, 3, 4), (2, 4, 1)),
    ("mv", lambda lib, a, b: a.mv(b), (3, 4), (4,)),
    ("dot", lambda lib, a, b: a.dot(b), (5,), (5,)),
    ("outer", lambda lib, a, b: lib.outer(a, b), (3,), (4,)),
    ("empty_inner", lambda lib, a, b: a @ b, (3, 0), (0, 2)),
]


@pytest.mark.parametrize("name,fn,sa,sb", CASES, ids=[c[0] for c in CASES])
def test_matmul_parity(name, fn, sa, sb):
    check_parity(fn, [sample(sa), sample(sb)])
    if len(sa) > 1 and len(sb) > 1:
        check_parity(fn, [sample(sa), sample(sb)], noncontiguous=True)
    check_gradcheck(fn, [sample(sa), sample(sb)])
