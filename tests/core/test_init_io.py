"""Initialization (explicit Generator, schemes, spectral radius) and save / load."""

import json

import numpy as np
import pytest

from rnnviz import InitConfig, Model, RNNConfig

from .cases import CELL_IDS, CELLS

GATES = {"rnn": ("aa",), "gru": ("u", "r", "c"), "lstm": ("f", "i", "c", "o")}


def config(cell, activation="tanh", bidirectional=False, **kw):
    return RNNConfig(cell=cell, n_x=5, n_a=6, n_y=4, activation=activation,
                     bidirectional=bidirectional, **kw)


def recurrent_blocks(model):
    """Every (n_a, n_a) recurrent block: Waa, or the a<t-1> columns of each gate matrix."""
    cfg = model.config
    out = {}
    for d in cfg.directions:
        p = cfg.prefix(d)
        if cfg.cell == "rnn":
            out[p + "Waa"] = model.params[p + "Waa"]
        else:
            for g in GATES[cfg.cell]:
                out[p + "W" + g] = model.params[p + "W" + g][:, :cfg.n_a]
    return out


def spectral_radius(W):
    return np.max(np.abs(np.linalg.eigvals(W)))


@pytest.mark.parametrize("rng", [None, 0, np.random.RandomState(0), "seed"])
def test_init_requires_a_generator(rng):
    with pytest.raises(TypeError):
        Model.init(config("lstm"), rng=rng)


@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_same_seed_same_parameters(cell, activation):
    cfg = config(cell, activation, bidirectional=True)
    a = Model.init(cfg, rng=np.random.default_rng(42))
    b = Model.init(cfg, rng=np.random.default_rng(42))
    c = Model.init(cfg, rng=np.random.default_rng(43))
    assert set(a.params) == set(b.params) == set(c.params)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    weights = [k for k in a.params if k.split(".")[-1].startswith("W")]
    for k in weights:
        assert not np.array_equal(a.params[k], c.params[k]), k
    # the two directions are independent draws
    assert not np.array_equal(a.params["fwd.W" + GATES[cell][0]],
                              a.params["bwd.W" + GATES[cell][0]])


@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_default_init_shapes_and_ranges(cell, activation):
    model = Model.init(config(cell, activation), rng=np.random.default_rng(0))
    n_a, n_x, n_y = 6, 5, 4
    for k, v in model.params.items():
        assert v.dtype == np.float64
        if k.startswith("b"):
            assert v.shape[1] == 1
    # Xavier (Glorot uniform) bound on the input and output weights
    bound_y = np.sqrt(6 / (n_a + n_y))
    assert np.abs(model.params["Wy"]).max() <= bound_y
    assert np.abs(model.params["Wy"]).max() > bound_y / 2
    if cell == "rnn":
        assert np.abs(model.params["Wax"]).max() <= np.sqrt(6 / (n_x + n_a))
    assert not np.any(model.params["by"])


@pytest.mark.parametrize("radius", [0.5, 1.0, 3.0])
@pytest.mark.parametrize("scheme", ["xavier", "orthogonal", "normal"])
@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_spectral_radius(cell, activation, scheme, radius):
    init = InitConfig(scheme=scheme, spectral_radius=radius)
    model = Model.init(config(cell, activation, bidirectional=True), np.random.default_rng(1),
                       init=init)
    blocks = recurrent_blocks(model)
    assert len(blocks) == 2 * len(GATES[cell])
    for k, W in blocks.items():
        assert spectral_radius(W) == pytest.approx(radius, rel=1e-10), k


@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_orthogonal_scheme(cell, activation):
    model = Model.init(config(cell, activation), np.random.default_rng(2),
                       init=InitConfig(scheme="orthogonal"))
    for k, W in recurrent_blocks(model).items():
        np.testing.assert_allclose(W.T @ W, np.eye(6), atol=1e-12, err_msg=k)
        np.testing.assert_allclose(W @ W.T, np.eye(6), atol=1e-12, err_msg=k)
    scaled = Model.init(config(cell, activation), np.random.default_rng(2),
                        init=InitConfig(scheme="orthogonal", scale=0.5))
    for k, W in recurrent_blocks(scaled).items():
        np.testing.assert_allclose(W.T @ W, 0.25 * np.eye(6), atol=1e-12, err_msg=k)


def test_forget_bias():
    for fb in (0.0, 1.0, 2.5):
        model = Model.init(config("lstm", bidirectional=True), np.random.default_rng(3),
                           init=InitConfig(forget_bias=fb))
        for d in ("fwd.", "bwd."):
            np.testing.assert_array_equal(model.params[d + "bf"], np.full((6, 1), fb))
            for b in ("bi", "bc", "bo"):
                assert not np.any(model.params[d + b])


def test_init_config_validation():
    with pytest.raises(ValueError):
        InitConfig(scheme="he")
    with pytest.raises(ValueError):
        InitConfig(scale=float("inf"))
    with pytest.raises(ValueError):
        InitConfig(spectral_radius=float("nan"))


def test_float32_init():
    model = Model.init(config("gru", dtype="float32"), np.random.default_rng(4))
    assert all(v.dtype == np.float32 for v in model.params.values())


# ---------------------------------------------------------------------------------------------
# save / load


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_save_load_round_trip(cell, activation, bidirectional, tmp_path):
    cfg = config(cell, activation, bidirectional, head="many_to_one", dtype="float32")
    model = Model.init(cfg, np.random.default_rng(5))
    path = tmp_path / "model.npz"
    model.save(path, metadata={"corpus": "tiny", "steps": 3})
    loaded, meta = Model.load(path)
    assert loaded.config == cfg
    assert meta["corpus"] == "tiny" and meta["steps"] == 3
    assert json.loads((tmp_path / "model.json").read_text())["config"]["cell"] == cell
    assert set(loaded.params) == set(model.params)
    for k, v in model.params.items():
        assert loaded.params[k].dtype == v.dtype
        np.testing.assert_array_equal(loaded.params[k], v)
    x = np.random.default_rng(6).standard_normal((5, 2, 4))
    np.testing.assert_array_equal(loaded.forward(x)["y_hat"], model.forward(x)["y_hat"])
    # plain arrays only: the file opens without pickle
    with np.load(path, allow_pickle=False) as z:
        assert set(z.files) == set(model.params)


def test_save_load_without_suffix(tmp_path):
    model = Model.init(config("rnn"), np.random.default_rng(7))
    model.save(tmp_path / "m")
    loaded, meta = Model.load(tmp_path / "m")
    assert meta["config"]["cell"] == "rnn"
    for k, v in model.params.items():
        np.testing.assert_array_equal(loaded.params[k], v)


@pytest.mark.parametrize("name", ["ckpt_lr0.01", "ckpt_lr0.01.npz", "char.lstm.v2"])
def test_save_load_with_a_dot_in_the_name(name, tmp_path):
    """Dots in the name are part of the name, not a suffix to replace."""
    model = Model.init(config("rnn"), np.random.default_rng(8))
    model.save(tmp_path / name, metadata={"name": name})
    stem = name.removesuffix(".npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == [stem + ".json", stem + ".npz"]
    for path in (tmp_path / stem, tmp_path / (stem + ".npz")):
        loaded, meta = Model.load(path)
        assert meta["name"] == name
        np.testing.assert_array_equal(loaded.params["Waa"], model.params["Waa"])
