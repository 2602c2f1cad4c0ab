"""Layer options torch takes that ember used to refuse: each against torch."""
import numpy as np
import pytest
import torch

import ember


def test_hardtanh_takes_torchs_deprecated_names():
    outs = []
    for lib in (ember, torch):
        with pytest.warns(FutureWarning) as caught:
            m = lib.nn.Hardtanh(min_value=-0.5, max_value=2.0)
        outs.append((repr(m), [str(w.message) for w in caught], m(lib.tensor([-3.0, 0.0, 3.0])).numpy()))
    assert outs[0][:2] == outs[1][:2]
    np.testing.assert_array_equal(outs[0][2], outs[1][2])
