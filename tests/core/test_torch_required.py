"""The torch parity tests skip locally without torch and fail in CI without it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .torch_support import torch_required

ROOT = Path(__file__).resolve().parents[2]
# run pytest on the parity module in a process where `import torch` fails
RUN = ("import sys; sys.modules['torch'] = None; import pytest; "
       "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '-n', '0', "
       "'tests/core/test_torch.py']))")


def _run(**env_extra):
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "RNNVIZ_REQUIRE_TORCH")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", RUN], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_without_torch_the_parity_tests_skip_locally():
    out = _run()
    # a module skipped at collection leaves nothing to run: pytest's "no tests collected"
    assert out.returncode in (0, pytest.ExitCode.NO_TESTS_COLLECTED), out.stdout + out.stderr
    assert "1 skipped" in out.stdout


def test_without_torch_the_parity_tests_fail_in_ci():
    out = _run(CI="true")
    assert out.returncode != 0
    assert "torch is required" in out.stdout + out.stderr


@pytest.mark.parametrize(("env", "required"), [
    ({}, False), ({"CI": "true"}, True), ({"CI": "1"}, True), ({"CI": "false"}, False),
    ({"RNNVIZ_REQUIRE_TORCH": "1"}, True), ({"RNNVIZ_REQUIRE_TORCH": "0"}, False)])
def test_which_environments_require_torch(monkeypatch, env, required):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("RNNVIZ_REQUIRE_TORCH", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert torch_required() is required
