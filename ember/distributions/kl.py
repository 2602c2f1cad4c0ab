"""kl_divergence(p, q) and register_kl: KL(p || q) looked up by the pair of distribution types."""
import warnings

import ember.nn.functional as F
from .bernoulli import Bernoulli
from .categorical import Categorical
from .normal import Normal
from .uniform import Uniform

_KL_REGISTRY = {}  # (type_p, type_q) -> function(p, q), as registered
_KL_MEMO = {}      # (type(p), type(q)) -> the function chosen for that exact pair

_INF = float("inf")


def register_kl(type_p, type_q):
    """Decorator: register ``fn(p, q)`` as KL(p || q) for p of type_p and q of type_q (and their subclasses)."""
    for t in (type_p, type_q):
        if not isinstance(t, type):  # PyTorch refuses non-classes only (its subclass check never fires)
            raise TypeError(f"Expected a Distribution subclass but got {t}")

    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        _KL_MEMO.clear()  # a new entry can change which match is the most specific
        return fn
    return decorator


def _dispatch(type_p, type_q):
    """The registered function of the most specific pair of base classes, or None.

    Specificity is the depth in each class's MRO, p first; if ordering q first picks another function, the
    choice is ambiguous and PyTorch's RuntimeWarning says so."""
    mro_p, mro_q = type_p.__mro__, type_q.__mro__
    matches = [(mro_p.index(bp), mro_q.index(bq), bp, bq)
               for bp, bq in _KL_REGISTRY if issubclass(type_p, bp) and issubclass(type_q, bq)]
    if not matches:
        return None
    left = min(matches, key=lambda m: (m[0], m[1]))
    right = min(matches, key=lambda m: (m[1], m[0]))
    fn = _KL_REGISTRY[left[2], left[3]]
    if fn is not _KL_REGISTRY[right[2], right[3]]:
        warnings.warn(f"Ambiguous kl_divergence({type_p.__name__}, {type_q.__name__}). "
                      f"Please register_kl({left[2].__name__}, {right[3].__name__})", RuntimeWarning, stacklevel=3)
    return fn


def kl_divergence(p, q):
    """KL(p || q) = E_p[log p(x) - log q(x)], one value per distribution of the batch.

    NotImplementedError when no function is registered for the pair of types."""
    key = (type(p), type(q))
    if key not in _KL_MEMO:
        _KL_MEMO[key] = _dispatch(*key)
    fn = _KL_MEMO[key]
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {type(p).__name__} "
                                  f"and q type {type(q).__name__}")
    return fn(p, q)


@register_kl(Normal, Normal)
def _kl_normal_normal(p, q):
    # (r - 1 - log r + ((mu_p - mu_q) / sigma_q)^2) / 2 with r = (sigma_p / sigma_q)^2
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p, q):
    t = p.probs * (p.logits - q.logits)
    # a class q cannot draw costs infinity; a class p never draws costs nothing (0 log 0 = 0)
    t = t.masked_fill((q.probs == 0).expand_as(t), _INF)
    t = t.masked_fill((p.probs == 0).expand_as(t), 0.0)
    return t.sum(-1)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    # the two outcomes' terms, written with softplus of the logits so that they stay finite
    t1 = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    t1 = t1.masked_fill(q.probs == 0, _INF).masked_fill(p.probs == 0, 0.0)
    t2 = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    t2 = t2.masked_fill(q.probs == 1, _INF).masked_fill(p.probs == 1, 0.0)
    return t1 + t2


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p, q):
    result = ((q.high - q.low) / (p.high - p.low)).log()
    # infinite when p puts mass outside q's interval
    return result.masked_fill((q.low > p.low) | (q.high < p.high), _INF)
