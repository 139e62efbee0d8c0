"""PyTorch's recurrent weights <-> rnnviz's (RNNConfig, params), in pure NumPy.

torch keeps, per layer k and direction (suffix "_reverse" for the backward one), input and
recurrent weights with the gates stacked as rows, and two biases:
    nn.RNN   weight_ih_l{k} (H, n_in), weight_hh_l{k} (H, H), bias_ih_l{k}, bias_hh_l{k} (H,)
    nn.LSTM  rows (i, f, g, o), 4H each           nn.GRU  rows (r, z, n), 3H each
rnnviz keeps one matrix per gate acting on [a<t-1>; x<t>] and one bias. The conversion:
    LSTM  i, f, g, o -> Γu (Wi/bi), Γf, c̃, Γo;  b = b_ih + b_hh
    GRU   r -> Γr;  z -> 1 - Γu (W_u = -W_z, b_u = -(b_iz + b_hz));  n -> c̃ with b_c = b_in and
          b_ca = b_hn, which stays inside Γr * (W_ca c<t-1> + b_ca): the "torch" variant of the
          GRU cell (rnnviz.core.recurrent.gru_torch)
    RNN   W_ax = W_ih, W_aa = W_hh, b_a = b_ih + b_hh (tanh or ReLU)
Layer k + 1 of torch is rnnviz's layer l = k + 1 (parameter prefix `l{l}.` above the first);
"_reverse" is the `bwd.` direction. An optional nn.Embedding E (V, n_in) folds into the first
layer: W_x E^T (n_a, V), so x<t> stays the one-hot vector of the notes. An optional nn.Linear
(n_y, directions * H) is the head W_y, b_y.
No torch import here: arrays in, arrays out (torch tensors are read with np.asarray).
"""

import re

import numpy as np

from rnnviz.core.model import RNNConfig, param_shapes

# torch row blocks -> rnnviz gates: (parameter suffix, torch block, sign)
_LSTM_BLOCKS = (("i", 0, 1.0), ("f", 1, 1.0), ("c", 2, 1.0), ("o", 3, 1.0))
_GRU_BLOCKS = (("r", 0, 1.0), ("u", 1, -1.0), ("c", 2, 1.0))
_ROWS = {1: "rnn", 3: "gru", 4: "lstm"}


def _array(v):
    if hasattr(v, "detach"):            # a torch tensor, without importing torch
        v = v.detach().cpu().numpy()
    return np.asarray(v)


def find_recurrent_prefix(state_dict):
    """The module prefix of the one recurrent module ("" or "rnn." ...) from `*weight_ih_l0`."""
    found = sorted({k[:-len("weight_ih_l0")] for k in state_dict if k.endswith("weight_ih_l0")})
    if len(found) != 1:
        raise ValueError("expected exactly one recurrent module (a key ending in "
                         f"'weight_ih_l0'), found {found or 'none'}")
    return found[0]


def _structure(sd, prefix):
    """(cell, H, n_in, layers, bidirectional) from the keys and shapes under `prefix`."""
    pat = re.compile(re.escape(prefix)
                     + r"(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)(_reverse)?$")
    seen = {(m.group(1), int(m.group(2)), bool(m.group(3))) for k in sd if (m := pat.match(k))}
    layers = 1 + max(k for _, k, _ in seen)
    bidirectional = any(rev for _, _, rev in seen)
    expected = {(w, k, rev) for w in ("weight_ih", "weight_hh") for k in range(layers)
                for rev in ((False, True) if bidirectional else (False,))}
    missing = sorted(expected - seen)
    if missing:
        names = [f"{prefix}{w}_l{k}{'_reverse' if rev else ''}" for w, k, rev in missing]
        raise ValueError(f"missing recurrent weights {names}: a {layers}-layer "
                         f"{'bidirectional ' if bidirectional else ''}module needs them all")
    if any(k.startswith(prefix) and "weight_hr" in k for k in sd):
        raise ValueError(f"{prefix}weight_hr_l0: LSTMs with proj_size are not supported")
    hh = _array(sd[prefix + "weight_hh_l0"])
    H = hh.shape[1]
    if hh.ndim != 2 or hh.shape[0] % H or hh.shape[0] // H not in _ROWS:
        raise ValueError(f"{prefix}weight_hh_l0 has shape {hh.shape}: expected (k H, H) with "
                         "k = 1 (RNN), 3 (GRU) or 4 (LSTM)")
    n_in = _array(sd[prefix + "weight_ih_l0"]).shape[1]
    return _ROWS[hh.shape[0] // H], H, n_in, layers, bidirectional


def _layer_params(sd, prefix, cell, k, rev, H, n_in):
    """rnnviz parameters (unprefixed) of torch layer k, direction rev."""
    sfx = f"_l{k}" + ("_reverse" if rev else "")
    rows = {"rnn": 1, "gru": 3, "lstm": 4}[cell] * H
    W_ih = _array(sd[prefix + "weight_ih" + sfx]).astype(np.float64)
    W_hh = _array(sd[prefix + "weight_hh" + sfx]).astype(np.float64)
    for name, W, cols in (("weight_ih", W_ih, n_in), ("weight_hh", W_hh, H)):
        if W.shape != (rows, cols):
            raise ValueError(f"{prefix}{name}{sfx} has shape {W.shape}, expected {(rows, cols)}")
    b_ih, b_hh = (_array(sd[prefix + b + sfx]).astype(np.float64)
                  if prefix + b + sfx in sd else np.zeros(rows)
                  for b in ("bias_ih", "bias_hh"))
    for name, b in (("bias_ih", b_ih), ("bias_hh", b_hh)):
        if b.shape != (rows,):
            raise ValueError(f"{prefix}{name}{sfx} has shape {b.shape}, expected {(rows,)}")
    if cell == "rnn":
        return {"Wax": W_ih, "Waa": W_hh, "ba": (b_ih + b_hh)[:, None]}

    def block(a, i):
        return a[i * H:(i + 1) * H]

    out = {}
    for g, i, sign in (_LSTM_BLOCKS if cell == "lstm" else _GRU_BLOCKS):
        out["W" + g] = sign * np.concatenate([block(W_hh, i), block(W_ih, i)], axis=1)
        if cell == "gru" and g == "c":      # b_hn stays inside Γr * (W_hn h + b_hn)
            out["bc"], out["bca"] = block(b_ih, i)[:, None], block(b_hh, i)[:, None]
        else:
            out["b" + g] = sign * (block(b_ih, i) + block(b_hh, i))[:, None]
    return out


def from_torch(state_dict, *, prefix=None, embedding=None, head=None, nonlinearity="tanh",
               n_y=None, task_head="many_to_many", dtype="float32"):
    """(RNNConfig, params) of a torch nn.RNN / nn.GRU / nn.LSTM (+ Embedding, + Linear).

    state_dict: name -> array (or tensor). prefix: the recurrent module's key prefix (found
    from the keys when None). embedding: key prefix of an nn.Embedding ("emb."), folded into
    W_ax. head: key prefix of an nn.Linear reading the top layer's outputs ("fc."); without
    one, W_y = 0 with n_y outputs (default 1). nonlinearity: nn.RNN's ("tanh" | "relu").
    GRUs become the cell's "torch" variant.
    """
    sd = dict(state_dict)
    prefix = find_recurrent_prefix(sd) if prefix is None else prefix
    cell, H, n_in, layers, bidirectional = _structure(sd, prefix)
    dirs = ("fwd", "bwd") if bidirectional else ("",)
    params = {}
    for k in range(layers):
        n_in_k = n_in if k == 0 else len(dirs) * H
        for d, rev in zip(dirs, (False, True), strict=False):
            p = (f"l{k + 1}." if k else "") + (f"{d}." if d else "")
            params.update({p + name: v for name, v in
                           _layer_params(sd, prefix, cell, k, rev, H, n_in_k).items()})
    n_x = n_in
    if embedding is not None:
        E = _array(sd[embedding + "weight"]).astype(np.float64)
        if E.ndim != 2 or E.shape[1] != n_in:
            raise ValueError(f"{embedding}weight has shape {E.shape}, expected (V, {n_in})")
        n_x = E.shape[0]
        for d in dirs:
            p = f"{d}." if d else ""
            for name in [n for n in params if n.startswith(p) and "." not in n[len(p):]]:
                W = params[name]
                if name.endswith("Wax"):
                    params[name] = W @ E.T                       # W_ax E^T
                elif name[len(p)] == "W" and not name.endswith("Waa"):   # [W_ga | W_gx E^T]
                    params[name] = np.concatenate([W[:, :H], W[:, H:] @ E.T], axis=1)
    if head is not None:
        Wy = _array(sd[head + "weight"]).astype(np.float64)
        if Wy.ndim != 2 or Wy.shape[1] != len(dirs) * H:
            raise ValueError(f"{head}weight has shape {Wy.shape}, expected (n_y, "
                             f"{len(dirs) * H}) reading the top layer")
        by = (_array(sd[head + "bias"]).astype(np.float64) if head + "bias" in sd
              else np.zeros(Wy.shape[0]))
        n_y = Wy.shape[0]
    else:
        n_y = n_y or 1
        Wy, by = np.zeros((n_y, len(dirs) * H)), np.zeros(n_y)
    params["Wy"], params["by"] = Wy, by.reshape(-1, 1)
    config = RNNConfig(cell=cell, n_x=n_x, n_a=H, n_y=n_y, activation=nonlinearity,
                       bidirectional=bidirectional, head=task_head, dtype=dtype, layers=layers,
                       variant="torch" if cell == "gru" else "course")
    shapes = param_shapes(config)
    assert set(shapes) == set(params), sorted(set(shapes) ^ set(params))
    return config, {k: v.astype(dtype) for k, v in params.items()}


def to_torch(config, params, *, prefix="rnn.", head="fc.", embedding=None):
    """torch state_dict arrays (float32) for nn.RNN / nn.GRU / nn.LSTM (+ Linear as `head`).

    The inverse of `from_torch`: b_ih holds the folded bias and b_hh is zero (the GRU's b_hn
    excepted), which gives torch the same outputs. The notes' GRU has no torch equivalent
    (its reset gate acts before the matmul): only the "torch" variant exports. embedding: a
    key prefix to also write an identity nn.Embedding, so `Embedding -> RNN` reads token ids
    the way rnnviz reads one-hot x<t>.
    """
    if config.cell == "gru" and config.variant != "torch":
        raise ValueError("the notes' GRU applies the reset gate before the matmul; nn.GRU "
                         "cannot compute it. Use RNNConfig(variant='torch') to export a GRU.")
    H = config.n_a
    out = {}
    for layer in range(1, config.layers + 1):
        for d in config.directions:
            p = config.prefix(d, layer)
            sfx = f"_l{layer - 1}" + ("_reverse" if d == "bwd" else "")
            P = {k[len(p):]: np.asarray(v, np.float64) for k, v in params.items()
                 if k.startswith(p) and "." not in k[len(p):]}
            if config.cell == "rnn":
                W_ih, W_hh, b_ih = P["Wax"], P["Waa"], P["ba"][:, 0]
                b_hh = np.zeros(H)
            else:
                blocks = _LSTM_BLOCKS if config.cell == "lstm" else _GRU_BLOCKS
                order = sorted(blocks, key=lambda b: b[1])
                W = [sign * P["W" + g] for g, _, sign in order]
                W_hh = np.concatenate([w[:, :H] for w in W])
                W_ih = np.concatenate([w[:, H:] for w in W])
                b_ih = np.concatenate([sign * P["b" + g][:, 0] for g, _, sign in order])
                b_hh = np.zeros_like(b_ih)
                if config.cell == "gru":
                    b_hh[2 * H:] = P["bca"][:, 0]
            out.update({prefix + "weight_ih" + sfx: W_ih, prefix + "weight_hh" + sfx: W_hh,
                        prefix + "bias_ih" + sfx: b_ih, prefix + "bias_hh" + sfx: b_hh})
    if head is not None:
        out[head + "weight"] = np.asarray(params["Wy"])
        out[head + "bias"] = np.asarray(params["by"])[:, 0]
    if embedding is not None:
        out[embedding + "weight"] = np.eye(config.n_x)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}
