"""The Forward page's Shapes table: the shape of every array, in the seed's layout
(`shape_rows`). Split from `forward`, which re-exports it."""

from __future__ import annotations


def shape_rows(config, T_x, m=1) -> list[dict]:
    """Every array of one step and of the whole sequence, in the seed's layout.

    Each gate's matrix W_g = [W_ga | W_gx] is listed with its two blocks, so the table
    answers "what is the shape of W_ax, and why": one (n_a, n_x) input block per gate (four
    in an LSTM, three in a GRU, one in an RNN). The GRU's gates read [c<t-1>, x<t>] and its
    candidate [Γr ∗ c<t-1>, x<t>], as in the notes.
    """
    n_a, n_x, n_y = config.n_a, config.n_x, config.n_y
    d = 2 if config.bidirectional else 1
    per_dir = " per direction" if d == 2 else ""
    stacked = f"(n_a + n_x, m) = ({n_a + n_x}, {m})"
    rows = [dict(array="x<t>", shape=f"(n_x, m) = ({n_x}, {m})",
                 meaning="one-hot input at step t")]
    if config.cell == "gru":
        rows += [
            dict(array="c<t-1>, c<t> (= a<t>)", shape=f"(n_a, m) = ({n_a}, {m})",
                 meaning="memory cell, which is the GRU's hidden state" + per_dir),
            dict(array="[c<t-1>, x<t>]", shape=stacked,
                 meaning="stacked vertically: what Γu and Γr read"),
            dict(array="[Γr ∗ c<t-1>, x<t>]", shape=stacked,
                 meaning="stacked vertically: what c̃<t> reads (W_c)"),
        ]
    else:
        rows += [dict(array="a<t-1>, a<t>", shape=f"(n_a, m) = ({n_a}, {m})",
                      meaning="hidden state" + per_dir)]
        if config.cell == "lstm":
            rows.append(dict(array="c<t-1>, c<t>", shape=f"(n_a, m) = ({n_a}, {m})",
                             meaning="memory cell" + per_dir))
        rows.append(dict(array="[a<t-1>, x<t>]", shape=stacked,
                         meaning="stacked vertically: what every " +
                                 ("gate reads" if config.cell == "lstm" else "step reads")))
    full = f"(n_a, n_a + n_x) = ({n_a}, {n_a + n_x})"
    rec = f"(n_a, n_a) = ({n_a}, {n_a})"
    inp = f"(n_a, n_x) = ({n_a}, {n_x})"
    if config.cell == "rnn":
        rows += [
            dict(array="W_a = [W_aa | W_ax]", shape=full,
                 meaning="recurrent and input weights side by side"),
            dict(array="W_aa", shape=rec, meaning="multiplies a<t-1>"),
            dict(array="W_ax", shape=inp, meaning="multiplies x<t>: one column per "
                                                  "vocabulary entry"),
        ]
    else:
        gates = ("f", "u", "o", "c") if config.cell == "lstm" else ("u", "r", "c")
        k = len(gates)
        # Short cells: the table must read at 1024 px; the reason for W_ax's shape is one line.
        rows += [
            dict(array=", ".join(f"W_{g}" for g in gates), shape=f"{full} each",
                 meaning="one per gate: W_g = [W_ga | W_gx]"),
            dict(array=", ".join(f"W_{g}a" for g in gates), shape=f"{rec} each",
                 meaning="W_aa: one block per gate, multiply " + ("a<t-1>" if config.cell == "lstm"
                                                         else "c<t-1>")),
            dict(array=", ".join(f"W_{g}x" for g in gates), shape=f"{inp} each",
                 meaning=f"W_ax: one block per gate ({k} × {n_a} × {n_x} = "
                         f"{k * n_a * n_x:,})"),
            dict(array="Γ<t>, c̃<t>, c<t>", shape=f"(n_a, m) = ({n_a}, {m})",
                 meaning="gates are element-wise (one value per unit)"),
        ]
    rows += [
        dict(array="W_y", shape=f"(n_y, {'2 ' if d == 2 else ''}n_a) = ({n_y}, {d * n_a})",
             meaning="output weights"),
        dict(array="ŷ<t>", shape=f"(n_y, m) = ({n_y}, {m})", meaning="softmax over classes"),
        dict(array="a (all steps)", shape=f"(n_a, m, T_x) = ({d * n_a}, {m}, {T_x})",
             meaning="what the heatmap shows"),
    ]
    return rows


__all__ = ["shape_rows"]
