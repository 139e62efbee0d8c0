"""How fast can a per-step NumPy LSTM be at m = 1? A lower bound, beside torch.

    python benchmarks/numpy_floor.py

Times loops that do strictly less than an LSTM forward and BPTT must do at m = 1, T_x = 64,
n_a = 128 (float32): per step forward, the recurrent GEMV and 8 ufunc calls (an LSTM needs
~11); per step backward, the GEMV and 6 ufunc calls (an LSTM needs ~8). Nothing else: no
input projection, no weight gradients, no output layer. torch's `nn.LSTM` forward + autograd
backward at the same size is timed in the same process. When the floor alone is about as
slow as torch's whole pass, no arrangement of NumPy calls per time step meets the issue's
"no slower than torch at m = 1" target. Times: min and median ms over 200 calls.
"""

import time

import numpy as np

import rnnviz

T_X, N_A, N_X = 64, 128, 64


def min_median_ms(fn, repeats=200):
    for _ in range(10):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(1e3 * (time.perf_counter() - t0))
    return min(times), float(np.median(times))


def main():
    rnnviz.keep_freed_memory()       # the allocator setting the core runs with
    rng = np.random.default_rng(0)
    W = (rng.standard_normal((N_A, 4 * N_A)) * 0.1).astype(np.float32)
    WT = np.ascontiguousarray(W.T)
    Z = rng.standard_normal((T_X, 1, 4 * N_A)).astype(np.float32)

    def forward_floor():
        tmp = np.empty((1, 4 * N_A), np.float32)
        G = np.empty_like(Z)
        a = np.zeros((1, N_A), np.float32)
        c = np.zeros((1, N_A), np.float32)
        for t in range(T_X):
            np.matmul(a, W, out=tmp)
            np.add(Z[t], tmp, out=G[t])
            np.tanh(G[t], out=G[t])
            np.multiply(G[t, :, :N_A], c, out=c)
            np.multiply(G[t, :, N_A:2 * N_A], a, out=a)
            np.add(c, a, out=c)
            np.tanh(c, out=a)
            np.multiply(a, G[t, :, 2 * N_A:3 * N_A], out=a)
            np.multiply(a, 0.5, out=a)

    def backward_floor():
        dZ = np.empty((T_X, 1, 4 * N_A), np.float32)
        da = np.zeros((1, N_A), np.float32)
        dc = np.zeros((1, N_A), np.float32)
        for t in range(T_X - 1, -1, -1):
            np.add(da, Z[t, :, :N_A], out=da)
            np.multiply(da, Z[t, :, N_A:2 * N_A], out=dc)
            np.multiply(da, Z[t, :, 2 * N_A:3 * N_A], out=dZ[t, :, :N_A])
            np.multiply(dc, Z[t, :, 3 * N_A:], out=dZ[t, :, N_A:2 * N_A])
            np.multiply(dc, 0.5, out=dZ[t, :, 2 * N_A:3 * N_A])
            np.multiply(dc, 0.25, out=dc)
            np.matmul(dZ[t], WT, out=da)

    fwd = min_median_ms(forward_floor)
    bwd = min_median_ms(backward_floor)
    print(f"NumPy floor, forward  (GEMV + 8 ufuncs per step): min {fwd[0]:.2f} ms, "
          f"median {fwd[1]:.2f} ms")
    print(f"NumPy floor, backward (GEMV + 6 ufuncs per step): min {bwd[0]:.2f} ms, "
          f"median {bwd[1]:.2f} ms")
    print(f"NumPy floor, both: min {fwd[0] + bwd[0]:.2f} ms")
    try:
        import torch
    except ImportError:
        print("torch not installed (pip install -e '.[bench]')")
        return
    torch.set_num_threads(2)
    lstm = torch.nn.LSTM(N_X, N_A)
    x = torch.randn(T_X, 1, N_X)

    def torch_lstm():
        out, _ = lstm(x.requires_grad_())
        out.sum().backward()

    t = min_median_ms(torch_lstm)
    print(f"torch nn.LSTM forward + backward: min {t[0]:.2f} ms, median {t[1]:.2f} ms")


if __name__ == "__main__":
    main()
