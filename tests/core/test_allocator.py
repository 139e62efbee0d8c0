"""`rnnviz.keep_freed_memory()` (see rnnviz.core.allocator): importing rnnviz leaves the host
process alone; calling the function makes glibc serve large blocks from the reusable heap."""

import os
import platform
import subprocess
import sys

import pytest

from rnnviz.core import allocator

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# Run in a fresh process: whether malloc(n) is served by mmap, read from glibc's own counter
# of mmapped bytes (mallinfo2().hblkhd), after `import rnnviz` and after the call.
PROBE = """
import ctypes, sys
class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                               "usmblks", "fsmblks", "uordblks", "fordblks",
                                               "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)

def mmapped(nbytes):
    before = libc.mallinfo2().hblkhd
    p = libc.malloc(nbytes)
    grew = libc.mallinfo2().hblkhd - before >= nbytes
    libc.free(p)
    return grew

import rnnviz
print(mmapped(4 << 20), rnnviz.keep_freed_memory(), mmapped(8 << 20))
"""


def _probe(env_value: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "RNNVIZ_KEEP_FREED_MEMORY"}
    if env_value is not None:
        env["RNNVIZ_KEEP_FREED_MEMORY"] = env_value
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, check=True)
    return out.stdout.split()


def test_import_has_no_side_effect_on_the_allocator_setting():
    import rnnviz
    assert not hasattr(rnnviz, "KEEPS_FREED_MEMORY")
    assert callable(rnnviz.keep_freed_memory) and "keep_freed_memory" in rnnviz.__all__


@pytest.mark.skipif(not GLIBC, reason="the setting exists only in glibc")
def test_import_leaves_glibc_alone_and_the_function_keeps_freed_memory():
    # after `import rnnviz` a 4 MiB block is still mmapped (glibc's default); after the call
    # an 8 MiB block comes from the heap
    assert _probe(None) == ["True", "True", "False"]


@pytest.mark.skipif(not GLIBC, reason="the setting exists only in glibc")
def test_the_environment_variable_turns_it_off():
    assert _probe("0") == ["True", "False", "True"]


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

