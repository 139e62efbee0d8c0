"""Character n-gram language model with interpolated modified Kneser-Ney smoothing.

The baseline an RNN language model should beat, in bits per character. For a context h
of k-1 characters (h' is h without its first character):

    P_k(w | h) = (max(c_k(h w) - D_k(c_k(h w)), 0) + γ_k(h) P_{k-1}(w | h')) / Σ_v c_k(h v)
    γ_k(h)     = Σ_{v: c_k(h v) > 0} D_k(c_k(h v))        (the mass taken by discounting)
    P_0(w)     = 1 / |V|

* c_n are raw counts at the highest order n; below it c_k(g) is the continuation count
  N1+(• g), the number of distinct characters seen before g (Kneser-Ney's key idea).
* D_k(c) is one of three discounts (c = 1, 2, >= 3) estimated from the count-of-counts
  (Chen & Goodman, 1998, "An empirical study of smoothing techniques for language modeling").
* A context never seen at order k falls back to P_{k-1}.

Since Σ_w of the numerator is Σ_v c_k(h v), every P_k(· | h) sums to 1 over V: the fitted
charset plus `UNK` (any other character). The text is preceded by n-1 `BOS` symbols, so the
first character is predicted from a start-of-text context.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np

UNK = "<UNK>"
# Internal alphabet: the text is recoded so chr(0) is BOS and chr(1 + j) is symbols[j].
# Any character can then be scored, even ones that collide with a sentinel of choice.
_BOS = "\x00"


class _Recoder(dict):
    """str.translate table sending every character outside the charset to UNK."""

    def __missing__(self, key: int) -> str:
        return chr(1)


def _discounts(counts: Iterable[int]) -> tuple[float, float, float, float]:
    """(0, D1, D2, D3+) from the count-of-counts n1..n4 (Chen & Goodman's estimates)."""
    n = Counter(c for c in counts if c <= 4)
    n1, n2, n3, n4 = (n[r] for r in range(1, 5))
    if min(n1, n2, n3, n4) == 0:
        # Too little data for the estimates (tiny corpora): the usual default discounts.
        return (0.0, 0.5, 1.0, 1.5)
    y = n1 / (n1 + 2 * n2)
    d = (1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3)
    # Keep each discount inside (0, c) so every count keeps some mass and gives some away.
    return (0.0, *(min(max(dr, 0.05), r - 0.05) for r, dr in zip((1, 2, 3), d, strict=True)))


class CharNGram:
    """Interpolated Kneser-Ney character LM; build it with `CharNGram.fit(text, order=5)`.

    `symbols` is the predicted alphabet: `UNK` at index 0, then the charset sorted.
    """

    def __init__(self, order: int, symbols: list[str]):
        if order < 1:
            raise ValueError(f"order must be >= 1, got {order}")
        if not symbols or symbols[0] != UNK:
            raise ValueError(f"symbols must start with {UNK!r}")
        self.order = order
        self.symbols = list(symbols)
        self._table = _Recoder({ord(ch): chr(1 + j) for j, ch in enumerate(symbols[1:], 1)})
        self._codes = [chr(1 + j) for j in range(len(symbols))]
        # Per order k (index k-1): counts of k-grams; per context: Σ counts, γ.
        self._counts: list[dict[str, int]] = []
        self._totals: list[dict[str, int]] = []
        self._gammas: list[dict[str, float]] = []
        self._discounts: list[tuple[float, float, float, float]] = []

    @classmethod
    def fit(cls, text: str, order: int = 5, charset: Iterable[str] | None = None) -> CharNGram:
        """Fit on `text`; `charset` (default: the characters of `text`) fixes the alphabet."""
        chars = set(text) if charset is None else set(charset)
        if any(len(ch) != 1 for ch in chars):
            raise ValueError("charset must contain single characters")
        model = cls(order, [UNK, *sorted(chars)])
        padded = _BOS * (order - 1) + model._recode(text)

        # Highest order: raw counts of the n-grams that end on a text character.
        counts = Counter(padded[i : i + order] for i in range(len(padded) - order + 1))
        by_order = [counts]
        # Lower orders: continuation counts, one per distinct left extension.
        for _ in range(order - 1):
            by_order.append(Counter(gram[1:] for gram in by_order[-1]))
        by_order.reverse()

        for counts in by_order:
            discount = _discounts(counts.values())
            totals: Counter[str] = Counter()
            gammas: Counter[str] = Counter()
            for gram, c in counts.items():
                totals[gram[:-1]] += c
                gammas[gram[:-1]] += discount[min(c, 3)]
            model._counts.append(dict(counts))
            model._totals.append(dict(totals))
            model._gammas.append(dict(gammas))
            model._discounts.append(discount)
        return model

    @property
    def discounts(self) -> list[tuple[float, float, float]]:
        """(D1, D2, D3+) for orders 1..n."""
        return [d[1:] for d in self._discounts]

    def _recode(self, text: str) -> str:
        return text.translate(self._table)

    def _prob(self, context: str, code: str) -> float:
        """P(code | context) for recoded strings; context holds the last n-1 symbols."""
        p = 1.0 / len(self.symbols)
        for k in range(1, self.order + 1):
            h = context[len(context) - (k - 1) :]
            total = self._totals[k - 1].get(h)
            if total is None:
                # Every suffix of a seen context was seen, so no longer context was either.
                break
            c = self._counts[k - 1].get(h + code, 0)
            kept = c - self._discounts[k - 1][min(c, 3)]
            p = (kept + self._gammas[k - 1][h] * p) / total
        return p

    def _context(self, prefix: str) -> str:
        return (_BOS * (self.order - 1) + self._recode(prefix))[len(prefix) :]

    def next_char_probs(self, prefix: str = "") -> np.ndarray:
        """P(w | prefix) for every w in `symbols`, shape (|V|,); sums to 1."""
        context = self._context(prefix)
        return np.array([self._prob(context, code) for code in self._codes])

    def log_probs(self, text: str) -> np.ndarray:
        """Natural log P(text[i] | up to n-1 previous characters), shape (len(text),).

        A character outside the charset is scored as `UNK`.
        """
        n = self.order
        padded = _BOS * (n - 1) + self._recode(text)
        probs = [self._prob(padded[i : i + n - 1], padded[i + n - 1]) for i in range(len(text))]
        return np.log(np.array(probs, dtype=np.float64))

    def bits_per_char(self, text: str) -> float:
        """Average -log2 P(char | context) over `text` (the LM's cross-entropy)."""
        if not text:
            raise ValueError("cannot score an empty text")
        return float(-self.log_probs(text).mean() / np.log(2))
