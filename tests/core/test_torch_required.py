"""The torch parity tests skip locally without torch and fail in CI without it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# run pytest on the parity module in a process where `import torch` fails
RUN = ("import sys; sys.modules['torch'] = None; import pytest; "
       "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', 'tests/core/test_torch.py']))")


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


@pytest.mark.parametrize("env", [{"CI": "true"}, {"RNNVIZ_REQUIRE_TORCH": "1"}],
                         ids=["CI", "RNNVIZ_REQUIRE_TORCH"])
def test_without_torch_the_parity_tests_fail_in_ci(env):
    out = _run(**env)
    assert out.returncode != 0
    assert "torch is required" in out.stdout + out.stderr
