"""The weights of an exported codeidx-static graph and their NumPy forward, without torch.

Shared by scripts/train-static-model.py (reference vectors at export, `--teacher` members) and
scripts/static-model/ensemble-model.py (reference vectors of an ensemble). The names are those of the
ONNX initializers that train-static-model.py's `export_onnx` writes:

- `table` int8 [VOCAB, dims] and `scale` float32 [VOCAB] (a row is table[id] × scale[id]);
- `pos_weight` float32 [MAX_POS] (optional): a weight per token position, the last one for later positions;
- `tf_exponent` float32 scalar or [VOCAB] (optional): alpha − 1 of sublinear term frequency, each token
  weighted by tf^(alpha − 1), tf = how often its id occurs in the sequence;
- `mlp_in` float32 [dims, h] and `mlp_out` float32 [h, dims] (optional): the residual MLP after the first
  L2 normalisation, followed by a second one.
"""
import os

import numpy as np

MAX_POS = 256  # = maxTokens of codeidx-model.json: no input is longer


def graph_weights(graph):
    """The initializers of an ONNX GraphProto by name, as NumPy arrays (see the module docstring)."""
    from onnx import numpy_helper

    return {init.name: numpy_helper.to_array(init) for init in graph.initializer}


def exported_weights(path):
    """The initializers of `path`/model.onnx by name, as NumPy arrays (see the module docstring)."""
    import onnx

    return graph_weights(onnx.load(os.path.join(path, "model.onnx")).graph)


def forward(w, ids_batch):
    """NumPy forward of the exported graph for sequences of token ids (special tokens included, no
    padding): float32 [len(ids_batch), dims]. `w` holds the weights under their initializer names; the
    ONNX file is checked against this by the TypeScript tests (codeidx-model.json `reference`)."""
    out = []
    for ids in ids_batch:
        ids = np.asarray(ids)
        weight = w["scale"][ids]
        if w.get("pos_weight") is not None:
            weight = weight * w["pos_weight"][np.minimum(np.arange(len(ids)), MAX_POS - 1)]
        if w.get("tf_exponent") is not None:
            tf = (ids[:, None] == ids[None, :]).sum(1).astype(np.float32)
            exponent = w["tf_exponent"][ids] if np.ndim(w["tf_exponent"]) else w["tf_exponent"]
            weight = weight * tf ** exponent
        v = (w["table"][ids].astype(np.float32) * weight[:, None]).sum(0)
        v = v / max(np.linalg.norm(v), 1e-12)
        if w.get("mlp_in") is not None:
            v = v + np.maximum(v @ w["mlp_in"], 0) @ w["mlp_out"]
            v = v / max(np.linalg.norm(v), 1e-12)
        out.append(v)
    return np.stack(out)
