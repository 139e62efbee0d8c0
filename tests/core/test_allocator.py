"""The allocator setting made at `import rnnviz` (see rnnviz.core.allocator)."""

import os
import platform
import subprocess
import sys

import pytest

from rnnviz.core import allocator

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def _imported_flag(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "RNNVIZ_KEEP_FREED_MEMORY"}
    if env_value is not None:
        env["RNNVIZ_KEEP_FREED_MEMORY"] = env_value
    out = subprocess.run([sys.executable, "-c", "import rnnviz; print(rnnviz.KEEPS_FREED_MEMORY)"],
                         env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.mark.skipif(not GLIBC, reason="the setting exists only in glibc")
def test_import_applies_the_setting_on_glibc():
    assert _imported_flag(None) == "True"


def test_the_environment_variable_turns_it_off():
    assert _imported_flag("0") == "False"


def test_turned_off_does_not_touch_the_allocator(monkeypatch):
    monkeypatch.setenv("RNNVIZ_KEEP_FREED_MEMORY", "0")

    def fail(*args):
        raise AssertionError("libc was loaded although the setting is off")

    monkeypatch.setattr(allocator.ctypes, "CDLL", fail)
    assert allocator.keep_freed_memory() is False


def test_other_c_libraries_are_left_alone(monkeypatch):
    monkeypatch.delenv("RNNVIZ_KEEP_FREED_MEMORY", raising=False)
    monkeypatch.setattr(allocator.platform, "libc_ver", lambda: ("musl", "1.2"))
    assert allocator.keep_freed_memory() is False

