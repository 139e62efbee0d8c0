"""torch for the parity tests: a skip on a developer's machine without torch, a failure in CI.

CI installs `.[test]` (torch is in it), so a missing torch there is a broken environment,
not a reason to skip (as with the browser tests). CI=true (set by CI services) or
RNNVIZ_REQUIRE_TORCH=1 makes the parity modules fail at collection when torch cannot be imported.
"""

import os

import pytest


def torch_required() -> bool:
    return (os.environ.get("CI", "").lower() in ("true", "1")
            or os.environ.get("RNNVIZ_REQUIRE_TORCH") == "1")


def import_torch():
    """`import torch`, or skip the calling module (locally) / fail it (CI)."""
    try:
        import torch
    except ImportError as exc:
        if torch_required():
            pytest.fail(f"torch is required for the parity tests in CI ({exc}); install the "
                        "test environment with pip install -e '.[test]'", pytrace=False)
        pytest.skip("torch is not installed (the parity tests run in CI)",
                    allow_module_level=True)
    return torch


def first_layers(rnn, layers: int):
    """A torch module of the first `layers` layers of `rnn` (nn.RNN/GRU/LSTM), same weights:
    its output is torch's hidden states of layer `layers`."""
    torch = import_torch()
    extra = {"nonlinearity": rnn.nonlinearity} if isinstance(rnn, torch.nn.RNN) else {}
    sub = type(rnn)(rnn.input_size, rnn.hidden_size, num_layers=layers,
                    bidirectional=rnn.bidirectional, **extra)
    sub.load_state_dict({k: v for k, v in rnn.state_dict().items()
                         if int(k.split("_l")[1].split("_")[0]) < layers})
    return sub


def torch_grads_in_rnnviz_layout(net, n_a: int) -> dict:
    """The gradients of a torch classifier (`net.rnn`, head `net.fc`) after backward, under
    rnnviz's names (float64). from_torch maps weights linearly (blocks, signs) and folds
    b = b_ih + b_hh; a folded bias's gradient is the gradient of either torch bias, so b_hh's
    gradient is left out (the GRU's b_hn, which stays apart as b_ca, excepted)."""
    import numpy as np
    import torch

    from rnnviz.core.torch_layout import from_torch

    sd = {}
    for name, p in net.named_parameters():
        g = p.grad.detach().numpy().copy()
        if name.startswith("rnn.bias_hh"):
            keep = np.zeros_like(g)
            if isinstance(net.rnn, torch.nn.GRU):
                keep[2 * n_a:] = g[2 * n_a:]
            g = keep
        sd[name] = g
    return from_torch(sd, prefix="rnn.", head="fc.", task_head="many_to_one",
                      dtype="float64")[1]
