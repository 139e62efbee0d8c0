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
