"""A model's identity: one digest of everything that can change what it reads or predicts.

A cache shared by every visitor of the app (a reading, a backward pass) is keyed by a name;
a model that lives in one session is named by `identity(model)`. The digest walks the model
object itself — the network's config and weights, the vocabulary (tokens, tokenizer, case,
unknown token), the start token and the state it primes, the task (its class), the output
labels, the readout, the layer count and the variant — so an attribute added to any of these
objects later is in the identity without anyone listing it. A hand-kept list drifted once: a
digest without the tokenizer served one visitor's reading of a text to another.

Nothing is left out but the memo of the digest itself and an object's `cached_property`
values (derived from the rest, filled in when first used: a cell's parameter layout, say, so a
model read before has the digest of one never read); presentation-only attributes (label,
card) are in too, which costs at most a cache miss. What a reading keeps for the next one
(`rnnviz.core.model.Model.packed`) is kept beside the model, not in it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import struct
from collections.abc import Mapping
from functools import cached_property

import numpy as np

# The attribute a model keeps its digest in, once computed (not part of the digest).
MEMO = "_identity"


def _feed(h, obj, seen: dict[int, int]) -> None:
    """Feed a canonical, type-tagged encoding of `obj` into the hash `h`."""
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
        return
    if isinstance(obj, (np.generic,)):
        _feed(h, np.asarray(obj), seen)
        return
    if isinstance(obj, np.ndarray):
        a = np.ascontiguousarray(obj)
        h.update(f"nd:{a.dtype.str}:{a.shape};".encode())
        h.update(struct.pack("<q", a.nbytes))
        h.update(a.tobytes())
        return
    key = id(obj)
    if key in seen:                      # a shared or cyclic reference: name it, don't recurse
        h.update(f"ref:{seen[key]};".encode())
        return
    seen[key] = len(seen)
    if isinstance(obj, Mapping):
        items = sorted(obj.items(), key=lambda kv: repr(kv[0]))
        h.update(f"map:{type(obj).__qualname__}:{len(items)}(".encode())
        for k, v in items:
            _feed(h, k, seen)
            _feed(h, v, seen)
        h.update(b")")
    elif isinstance(obj, (list, tuple, set, frozenset)):
        seq = sorted(obj, key=repr) if isinstance(obj, (set, frozenset)) else obj
        h.update(f"seq:{type(obj).__qualname__}:{len(seq)}(".encode())
        for v in seq:
            _feed(h, v, seen)
        h.update(b")")
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(f"dc:{type(obj).__module__}.{type(obj).__qualname__}(".encode())
        for f in dataclasses.fields(obj):
            _feed(h, f.name, seen)
            _feed(h, getattr(obj, f.name), seen)
        h.update(b")")
    elif isinstance(obj, type) or callable(obj) and not hasattr(obj, "__dict__"):
        h.update(f"code:{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', obj)};"
                 .encode())
    elif hasattr(obj, "__dict__") or hasattr(obj, "__slots__"):
        state = dict(vars(obj)) if hasattr(obj, "__dict__") else {}
        for slot in getattr(type(obj), "__slots__", ()):
            if hasattr(obj, slot):
                state[slot] = getattr(obj, slot)
        state.pop(MEMO, None)
        for name in [k for k in state if isinstance(getattr(type(obj), k, None), cached_property)]:
            del state[name]             # derived from the rest, filled in when first used
        h.update(f"obj:{type(obj).__module__}.{type(obj).__qualname__}(".encode())
        _feed(h, state, seen)
        h.update(b")")
    else:
        raise TypeError(f"cannot take the identity of a {type(obj).__name__}")


def identity(model) -> str:
    """The hex SHA-256 of everything in `model` (a `ModelInUse`, or any object made of
    arrays, containers, dataclasses and plain objects). Equal for two models that read every
    text the same way and built from the same parts; different when any part differs."""
    h = hashlib.sha256()
    _feed(h, model, {})
    return h.hexdigest()


__all__ = ["identity"]
