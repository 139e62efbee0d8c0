"""Figures of the Dynamics page: step-Jacobian spectra, fixed points, eigenvalues.

* `spectrum_figure`      σ of ∂s<t>/∂s<t-1> along the sentence, one panel per model: a band
                         from the smallest to the largest singular value, the largest few as
                         lines, the line at 1; hover says what held σ_max near 1.
* `fixed_point_figure`   a state trajectory and the fixed points in the first 2 principal
                         components: stable points, saddles and their unstable directions.
* `eigen_figure`         the eigenvalues of one fixed point's Jacobian in the unit circle.

Pure functions of `rnnviz.dynamics` results; no Streamlit.
"""

from __future__ import annotations

import numpy as np

from rnnviz.figures.colours import ARCH_COLORS
from rnnviz.figures.figure import figure, layout
from rnnviz.figures.safe_text import token_text

NAMES = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
KIND_STYLE = {"stable": ("circle", "#2ca02c"), "marginal": ("circle-open", "#ff7f0e"),
              "saddle": ("x", "#d62728"),
              "unstable": ("diamond-open", "#9467bd")}


def spectrum_figure(spectra: dict, top: int = 3, direction: str = ""):
    """spectra: {panel title: Spectrum}. Trace names: "<title> band", "<title> σ1".."σk".

    One panel per model side by side, their y axes shared (built as plain dicts: Plotly's
    make_subplots and add_* validate every property, ~0.2 s a figure)."""
    titles = list(spectra)
    n, gap = len(titles), 0.04
    width = (1 - gap * (n - 1)) / n
    data, shapes, notes_row = [], [], []
    lay = layout(height=350)
    lay["margin"] = dict(lay["margin"], t=40)          # room for the panels' titles
    ymax = 1.2
    for c, (title, spec) in enumerate(spectra.items(), start=1):
        ax = "" if c == 1 else str(c)
        xa, ya = f"x{ax}", f"y{ax}"
        sv = spec.sv[direction]
        t = np.arange(1, sv.shape[0] + 1)
        labels = [token_text(s) for s in spec.labels]
        colour = ARCH_COLORS.get(NAMES.get(spec.cell, ""), "#1f77b4")
        finite = sv[np.isfinite(sv[:, 0]), 0]        # NaN: a step whose state overflowed
        ymax = max(ymax, float(finite.max()) * 1.05) if finite.size else ymax
        data.append(dict(type="scatter", x=t, y=sv[:, -1], mode="lines", line=dict(width=0),
                         showlegend=False, hoverinfo="skip", name=f"{title} min",
                         xaxis=xa, yaxis=ya))
        data.append(dict(type="scatter", x=t, y=sv[:, 0], mode="lines", fill="tonexty",
                         line=dict(width=0), fillcolor="rgba(127,127,127,0.25)",
                         name=f"{title} band", showlegend=False, hoverinfo="skip",
                         xaxis=xa, yaxis=ya))
        notes = [spec.gate_note(direction, i) for i in range(sv.shape[0])]
        custom = np.array([labels, notes], dtype=object).T
        lines = sv.shape[1] - (spec.top is not None)   # a band's last column: its edge
        for k in range(min(top, lines)):
            data.append(dict(
                type="scatter", x=t, y=sv[:, k], mode="lines+markers" if k == 0 else "lines",
                name=f"{title} σ{k + 1}",
                line=dict(color=colour, width=2.5 if k == 0 else 1,
                          dash=None if k == 0 else "dot"),
                marker=dict(size=4), showlegend=False, customdata=custom,
                hovertemplate=(f"step %{{x}} reads %{{customdata[0]}}<br>σ{k + 1} = %{{y:.3f}}"
                               "<br>%{customdata[1]}<extra></extra>"), xaxis=xa, yaxis=ya))
        left = (c - 1) * (width + gap)
        lay[f"xaxis{ax}"] = dict(domain=[left, left + width], anchor=ya, title=dict(
            text="step t"))
        lay[f"yaxis{ax}"] = dict(anchor=xa) if c == 1 else dict(
            anchor=xa, matches="y", showticklabels=False)
        shapes.append(dict(type="line", xref=f"{xa} domain", x0=0, x1=1, yref=ya, y0=1, y1=1,
                           line=dict(color="black", dash="dash", width=1)))
        notes_row.append(dict(text=title, x=left + width / 2, y=1.0, xref="paper",
                              yref="paper", xanchor="center", yanchor="bottom",
                              showarrow=False, font=dict(size=16)))
    lay["yaxis"].update(title=dict(text="singular values of ∂s<t>/∂s<t−1>"), range=[0, ymax])
    lay["shapes"] = shapes
    lay["annotations"] = notes_row
    return figure(data, lay)


def pca(points: np.ndarray, k: int = 2):
    """(mean, components (k, n)) of the rows of `points` (SVD of the centred rows)."""
    mean = points.mean(axis=0)
    _, _, Vt = np.linalg.svd(points - mean, full_matrices=False)
    comps = Vt[:k]
    if comps.shape[0] < k:
        comps = np.vstack([comps, np.zeros((k - comps.shape[0], points.shape[1]))])
    return mean, comps


def fixed_point_figure(result, trajectory: np.ndarray, selected: int | None = None,
                       title: str | None = None):
    """The trajectory (T, n_s) and every fixed point of `result` in the first two PCs of the
    trajectory and the points together. Trace names: "trajectory", "stable", "saddle",
    "unstable", "unstable directions"; each point's customdata is its index in result.points
    (a click on a marker tells the page which point it is)."""
    pts = result.points
    allp = np.vstack([trajectory] + [p.s[None] for p in pts])
    mean, comps = pca(allp)
    proj = (trajectory - mean) @ comps.T
    # no hover on the trajectory: it runs through the stable points, and a hover (hence a
    # click) there would go to the line instead of the fixed point under the cursor
    data = [dict(type="scatter", x=proj[:, 0], y=proj[:, 1], mode="lines", name="trajectory",
                 line=dict(color="rgba(31,119,180,0.5)", width=1), hoverinfo="skip")]
    span = float(np.ptp(proj)) if proj.size else 1.0
    for kind, (symbol, colour) in KIND_STYLE.items():
        idx = [i for i, p in enumerate(pts) if p.kind == kind]
        if not idx:
            continue
        P = np.array([(pts[i].s - mean) @ comps.T for i in idx])
        data.append(dict(type="scatter", x=P[:, 0], y=P[:, 1], mode="markers", name=kind,
                         customdata=idx, marker=dict(symbol=symbol, size=[
                             16 if i == selected else 11 for i in idx], color=colour,
                             line=dict(width=2, color=colour)),
                         hovertemplate=("fixed point %{customdata}: " + kind +
                                        "<extra></extra>")))
    xs, ys = [], []
    for p in pts:
        c = (p.s - mean) @ comps.T
        for v in p.unstable_directions():
            d = v @ comps.T
            d = d / max(float(np.linalg.norm(d)), 1e-12) * 0.15 * span
            xs += [c[0] - d[0], c[0] + d[0], None]
            ys += [c[1] - d[1], c[1] + d[1], None]
    if xs:
        data.append(dict(type="scatter", x=xs, y=ys, mode="lines", name="unstable directions",
                         line=dict(color="#d62728", width=2), hoverinfo="skip"))
    return figure(data, layout(title, height=380, xaxis=dict(title="PC 1"),
                               yaxis=dict(title="PC 2", scaleanchor="x"),
                               clickmode="event"))


def eigen_figure(point, title: str | None = None):
    """Eigenvalues λ of the point's Jacobian in the complex plane with the unit circle.
    Trace names: "unit circle", "|λ| < 1", "|λ| > 1"."""
    th = np.linspace(0, 2 * np.pi, 181)
    lam = np.asarray(point.eigvals)
    inside = np.abs(lam) < 1
    data = [dict(type="scatter", x=np.cos(th), y=np.sin(th), mode="lines", name="unit circle",
                 line=dict(color="black", width=1, dash="dash"), hoverinfo="skip")]
    for name, mask, colour in (("|λ| < 1", inside, "#2ca02c"), ("|λ| > 1", ~inside, "#d62728")):
        if mask.any():
            data.append(dict(type="scatter", x=lam[mask].real, y=lam[mask].imag, mode="markers",
                             name=name, marker=dict(color=colour, size=8),
                             text=[f"{abs(v):.3f}" for v in lam[mask]],
                             hovertemplate="λ = %{x:.3f} + %{y:.3f}i, |λ| = %{text}"
                                           "<extra></extra>"))
    r = max(1.1, float(np.abs(lam).max()) * 1.1 if lam.size else 1.1)
    return figure(data, layout(title, height=340, xaxis=dict(title="Re λ", range=[-r, r]),
                               yaxis=dict(title="Im λ", range=[-r, r], scaleanchor="x")))
