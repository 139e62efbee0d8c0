"""Keep freed memory in the process, so the cells' loop buffers are not page-faulted in anew.

Why. Every forward pass allocates its tape (Z, Γ, c<t>, a<t>: (T_x, m, ·) each) and every
backward pass its gradients; from 128 KiB up, glibc serves such blocks with mmap and gives
them back with munmap on free (or trims the heap top). The next call then touches fresh
pages: one page fault per 4 KiB and, with OpenBLAS threads on other cores, a TLB shootdown
per munmap. On the 2-core VM the project is developed on that was ~25% of an LSTM
forward + BPTT at m = 1 and ~40% at m = 32 (`benchmarks/core.py --quick`, run with and
without RNNVIZ_KEEP_FREED_MEMORY=0).

What. Two glibc settings, made by `rnnviz.keep_freed_memory()` (never by importing rnnviz: a
library leaves its host process alone; the app, `python -m rnnviz.train` and the benchmarks
call it because they own their process):
* M_MMAP_THRESHOLD = 32 MiB: blocks below it come from the heap, which is reused;
* M_TRIM_THRESHOLD = 256 MiB: up to that much free memory at the heap top stays mapped.
The price is a resident set that stays near its peak instead of shrinking after a big call.
Nothing happens on other C libraries (musl, macOS, Windows) or with
RNNVIZ_KEEP_FREED_MEMORY=0.
"""

import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1       # mallopt parameter numbers, from glibc's <malloc.h>
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 * 2**20
TRIM_THRESHOLD_BYTES = 256 * 2**20


def keep_freed_memory() -> bool:
    """Keep freed memory in this process (glibc only): M_MMAP_THRESHOLD = 32 MiB and
    M_TRIM_THRESHOLD = 256 MiB, see the module docstring. Call it once, early, in a program
    that owns its process. Returns whether the settings were applied (False on other C
    libraries or with RNNVIZ_KEEP_FREED_MEMORY=0). The price: the resident set stays near
    its peak instead of shrinking after a big call."""
    if os.environ.get("RNNVIZ_KEEP_FREED_MEMORY", "1") == "0":
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success, 0 on error
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
                and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
