"""Which module of a state_dict is which: the recurrent module, an optional nn.Embedding in
front of it and an optional nn.Linear head, from key names and shapes alone."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from rnnviz.core.torch_layout import find_recurrent_prefix

_RECURRENT = re.compile(r"(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l\d+(_reverse)?$")


def detect_structure(sd: Mapping[str, np.ndarray], mapping: Mapping | None = None) -> dict:
    """{"rnn": prefix, "embedding": prefix | None, "head": prefix | None} from names and shapes.

    mapping: {"rnn": "encoder.lstm", "embedding": "emb", "head": "fc"} names the modules
    (a prefix with or without its dot; "embedding"/"head" may be None for none). Whatever is
    neither the recurrent module, an Embedding (V × its input size, no bias) nor one Linear
    head (n_y × H·directions) is refused with a ValueError naming the key.
    """
    mapping = dict(mapping or {})
    unknown = set(mapping) - {"rnn", "embedding", "head"}
    if unknown:
        raise ValueError(f"mapping keys must be 'rnn', 'embedding', 'head'; got {sorted(unknown)}")

    def dotted(p):
        return None if p is None else (p if p == "" or p.endswith(".") else p + ".")

    rnn = dotted(mapping["rnn"]) if "rnn" in mapping else find_recurrent_prefix(sd)
    if rnn + "weight_ih_l0" not in sd:
        raise ValueError(f"no key {rnn}weight_ih_l0: mapping['rnn'] = {mapping.get('rnn')!r} "
                         "does not name a recurrent module")
    ih = np.shape(sd[rnn + "weight_ih_l0"])
    hh = np.shape(sd.get(rnn + "weight_hh_l0", ()))
    if len(ih) != 2 or len(hh) != 2:
        raise ValueError(f"{rnn}weight_ih_l0 has shape {ih} and {rnn}weight_hh_l0 {hh}: "
                         "expected two matrices")
    n_in, H = ih[1], hh[1]
    dirs = 2 if any(k.startswith(rnn) and k.endswith("_reverse") for k in sd) else 1

    # The other modules: prefix -> {"weight": shape, "bias": shape, ...}
    modules: dict[str, dict[str, tuple]] = {}
    for k, v in sd.items():
        if k.startswith(rnn) and _RECURRENT.fullmatch(k[len(rnn):]):
            continue
        prefix, _, leaf = k.rpartition(".")
        modules.setdefault(prefix + "." if prefix else "", {})[leaf] = np.shape(v)

    def fits(role, prefix):
        parts = modules.get(prefix, {})
        w = parts.get("weight", ())
        if set(parts) - {"weight", "bias"} or len(w) != 2:
            return False
        if role == "embedding":
            return "bias" not in parts and w[1] == n_in
        return w[1] == dirs * H and parts.get("bias", (w[0],)) == (w[0],)

    roles: dict[str, str | None] = {}
    for role in ("embedding", "head"):
        if role in mapping:
            p = dotted(mapping[role])
            if p is not None and p + "weight" not in sd:
                raise ValueError(f"mapping[{role!r}] = {mapping[role]!r}: there is no key "
                                 f"{p}weight")
            roles[role] = p
    for role in ("embedding", "head"):
        if role in roles:
            continue
        taken = {p for p in roles.values() if p is not None}
        found = [p for p in modules if p not in taken and fits(role, p)]
        if len(found) > 1 and role == "embedding":
            # A bias-free Linear head can look like an embedding: one that fits both is the head
            # when another candidate fits only the embedding.
            only = [p for p in found if not fits("head", p)]
            found = only if len(only) == 1 else found
        if len(found) > 1:
            raise ValueError(f"more than one module could be the {role}: "
                             f"{[p + 'weight' for p in found]}; name it with "
                             f"mapping={{'{role}': ...}}")
        roles[role] = found[0] if found else None
    used = {p for p in roles.values() if p is not None}
    for prefix, parts in modules.items():
        if prefix in used:
            continue
        leaf = sorted(parts)[0]
        key = prefix + leaf
        raise ValueError(
            f"unsupported part {key!r} (shape {parts[leaf]}): rnnviz reads one recurrent "
            f"module ({rnn or '(top level)'}, {dirs * H} outputs per step), an optional "
            f"nn.Embedding (V × {n_in}, no bias) in front of it and one nn.Linear head "
            f"(n_y × {dirs * H}) reading it. Extra layers, attention, convolutions and "
            "projections are not supported; mapping= names the modules if detection "
            "picked the wrong ones")
    return {"rnn": rnn, "embedding": roles["embedding"], "head": roles["head"]}



def folded_size(sd: Mapping[str, np.ndarray], parts: dict, n_y: int) -> int:
    """How many parameters rnnviz's network will have (about: torch's two biases count
    twice), with the embedding folded into the first layer's W_ax, from shapes only."""
    rnn, emb = parts["rnn"], parts["embedding"]
    V = np.shape(sd[emb + "weight"])[0] if emb is not None else None
    n = 0
    for k, v in sd.items():
        if k.startswith(rnn) and _RECURRENT.fullmatch(k[len(rnn):]):
            shape = np.shape(v)
            if V is not None and re.fullmatch(r"weight_ih_l0(_reverse)?", k[len(rnn):]):
                shape = (shape[0], V)
            n += int(np.prod(shape))
    H = np.shape(sd[rnn + "weight_hh_l0"])[1]
    dirs = 2 if any(k.startswith(rnn) and k.endswith("_reverse") for k in sd) else 1
    return n + n_y * (dirs * H + 1)
