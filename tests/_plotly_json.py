"""Plotly JSON as the browser receives it, with every typed array decoded to NumPy.

Plotly sends numeric arrays as ``{dtype, bdata[, shape]}`` (base64); `decode` turns them, at any
depth of a figure's JSON, back into arrays. Shared by tests/figures and tests/app.
"""

import base64

import numpy as np


def decode(obj):
    if isinstance(obj, dict):
        if "bdata" in obj and "dtype" in obj:
            arr = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=np.dtype(obj["dtype"]))
            if "shape" in obj:
                arr = arr.reshape([int(n) for n in str(obj["shape"]).split(",")])
            return arr
        return {k: decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [decode(v) for v in obj]
    return obj
