"""Survey: optimizers' updates on a float16 parameter, ember against torch, bit for bit after each step.

Run: PYTHONPATH=. python scripts/half_optim_survey.py
"""
import numpy as np
import torch

import ember

rng = np.random.default_rng(0)
N = 16384
P0 = (rng.normal(size=N)).astype(np.float16)
GRADS = [(rng.normal(size=N) * 10.0 ** rng.integers(-3, 1, N)).astype(np.float16) for _ in range(4)]

SETTINGS = {
    'SGD': lambda L, p: L.optim.SGD([p], lr=0.1),
    'SGD momentum wd': lambda L, p: L.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01),
    'SGD nesterov': lambda L, p: L.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, dampening=0),
    'Adam': lambda L, p: L.optim.Adam([p], lr=0.01),
    'Adam wd': lambda L, p: L.optim.Adam([p], lr=0.01, weight_decay=0.01),
    'AdamW': lambda L, p: L.optim.AdamW([p], lr=0.01),
    'RMSprop': lambda L, p: L.optim.RMSprop([p], lr=0.01),
    'RMSprop centered momentum': lambda L, p: L.optim.RMSprop([p], lr=0.01, momentum=0.9, centered=True),
    'Adam amsgrad maximize': lambda L, p: L.optim.Adam([p], lr=0.01, amsgrad=True, maximize=True),
    'Adagrad': lambda L, p: L.optim.Adagrad([p], lr=0.01),
    'Adagrad wd lr_decay': lambda L, p: L.optim.Adagrad([p], lr=0.01, weight_decay=0.1, lr_decay=0.01),
    # not brought to torch's float16 rounding (listed by the survey)
    'Adamax': lambda L, p: L.optim.Adamax([p], lr=0.01),
    'NAdam': lambda L, p: L.optim.NAdam([p], lr=0.01),
    'RAdam': lambda L, p: L.optim.RAdam([p], lr=0.01),
    'Adadelta': lambda L, p: L.optim.Adadelta([p]),
    'ASGD': lambda L, p: L.optim.ASGD([p], lr=0.01),
    'Rprop': lambda L, p: L.optim.Rprop([p], lr=0.01),
}


def steps(L, make):
    p = L.tensor(P0.copy(), requires_grad=True)
    opt = make(L, p)
    out = []
    for g in GRADS:
        p.grad = L.tensor(g)
        opt.step()
        out.append(p.detach().numpy().copy())
    return out


def differ(a, b):
    return int(((a.view(np.uint16) != b.view(np.uint16)) & ~(np.isnan(a) & np.isnan(b))).sum())


if __name__ == '__main__':
    for name, make in SETTINGS.items():
        try:
            mine, theirs = steps(ember, make), steps(torch, make)
            print(f'{name:28s}', ' '.join(f'{differ(a, b):6d}' for a, b in zip(mine, theirs)), f' of {N} per step')
        except Exception as ex:
            print(f'{name:28s} raised {type(ex).__name__}: {str(ex)[:100]}')
