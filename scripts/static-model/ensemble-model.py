"""Builds one codeidx-static model from several trained ones (an ensemble of static encoders).

    python3 scripts/static-model/ensemble-model.py --members models/codeidx-static /tmp/cand/seed7 --out /tmp/cand/ens

Each member is a model directory written by scripts/train-static-model.py (model.onnx + codeidx-model.json
+ tokenizer files, all with the same tokenizer). The output graph takes the same inputs (input_ids,
attention_mask int64 [batch, seq]) and returns `sentence_embedding` float32 [batch, Σ dims]: the members'
unit vectors concatenated and scaled by 1/√M, so it is a unit vector again and the cosine of two texts is
the mean of the members' cosines (score averaging of M models; a text with no known token stays the zero
vector). The members' graphs are copied with their names prefixed (`m0_`, `m1_`, …); nodes that compute the
same value in every member (the mask, the positions, the term-frequency count over the ids) are merged by a
common-subexpression pass, so the [seq × seq] count runs once. Writes model.onnx, codeidx-model.json (dims,
sha256, revision, the members' training records, reference vectors of the first member's reference inputs
computed by the NumPy forward of scripts/static-model/static_graph.py for every member) and copies the tokenizer files of the first member.
"""
import argparse
import hashlib
import json
import math
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from static_graph import forward, graph_weights  # noqa: E402  (the torch-free forward the trainer uses too)

INPUTS = ("input_ids", "attention_mask")


def load_member(path):
    """(onnx ModelProto, codeidx-model.json dict) of one member directory."""
    with open(os.path.join(path, "codeidx-model.json")) as f:
        config = json.load(f)
    model = onnx.load(os.path.join(path, config.get("model", "model.onnx")))
    return model, config


def merge(members):
    """One graph from the members' graphs: prefixed copies, constants and identical nodes shared, outputs
    concatenated and scaled by 1/sqrt(M). Returns (nodes, initializers, total dims)."""
    nodes, inits = [], []
    const_by_value = {}  # (dtype, shape, bytes) -> name of the first initializer with that value
    node_by_key = {}  # (op, inputs, attributes) -> output names of the first such node
    outputs = []
    dims = 0
    for i, (model, config) in enumerate(members):
        g = model.graph
        rename = {name: name for name in INPUTS}
        for init in g.initializer:
            arr = numpy_helper.to_array(init)
            # small constants (axes, eps, one, …) are shared; weights are per member
            key = (arr.dtype.str, arr.shape, arr.tobytes()) if arr.size <= 4 else None
            if key is not None and key in const_by_value:
                rename[init.name] = const_by_value[key]
                continue
            new = f"m{i}_{init.name}"
            rename[init.name] = new
            inits.append(numpy_helper.from_array(arr, new))
            if key is not None:
                const_by_value[key] = new
        for node in g.node:
            ins = [rename[x] for x in node.input]
            attrs = tuple(sorted(a.SerializeToString() for a in node.attribute))
            key = (node.op_type, tuple(ins), attrs)
            if key in node_by_key:
                for old, shared in zip(node.output, node_by_key[key]):
                    rename[old] = shared
                continue
            outs = [f"m{i}_{x}" for x in node.output]
            for old, new in zip(node.output, outs):
                rename[old] = new
            node_by_key[key] = outs
            copy = helper.make_node(node.op_type, ins, outs, name=f"m{i}_{node.name}" if node.name else "")
            copy.attribute.extend(node.attribute)
            nodes.append(copy)
        outputs.append(rename["sentence_embedding"])
        dims += int(config["dims"])
    inits.append(numpy_helper.from_array(np.array(1.0 / math.sqrt(len(members)), dtype=np.float32), "ensemble_scale"))
    nodes.append(helper.make_node("Concat", outputs, ["concatenated"], axis=1))
    nodes.append(helper.make_node("Mul", ["concatenated", "ensemble_scale"], ["sentence_embedding"]))
    return nodes, inits, dims


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", nargs="+", required=True, help="model directories (the first one's tokenizer and reference inputs are used)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if len(args.members) < 2:
        sys.exit("error: an ensemble needs at least two --members")
    for p in args.members:
        for name in ("model.onnx", "codeidx-model.json", "tokenizer.json"):
            if not os.path.isfile(os.path.join(p, name)):
                sys.exit(f"error: --members {p} has no {name}; a training run's --out holds model.onnx and codeidx-model.json, "
                         "copy tokenizer.json and tokenizer_config.json from models/codeidx-static")
    members = [load_member(p) for p in args.members]
    tokenizers = {open(os.path.join(p, "tokenizer.json"), "rb").read() for p in args.members}
    if len(tokenizers) != 1:
        sys.exit("error: the members' tokenizer.json files differ; an ensemble needs one tokenizer")
    nodes, inits, dims = merge(members)
    graph = helper.make_graph(
        nodes,
        "codeidx_static_ensemble",
        [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "seq"]) for name in INPUTS],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", dims])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="codeidx-ensemble-model")
    model.ir_version = 8
    onnx.checker.check_model(model)
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    onnx.save(model, onnx_path)
    with open(onnx_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    first = members[0][1]
    ref_ids = first["reference"]["input_ids"]
    ref = np.concatenate([forward(graph_weights(m.graph), ref_ids) for m, _ in members], axis=1) / np.float32(math.sqrt(len(members)))
    config = {
        "id": first["id"],
        "revision": digest[:12],
        "dims": dims,
        "pooling": first["pooling"],
        "maxTokens": first["maxTokens"],
        "queryPrefix": first["queryPrefix"],
        "documentPrefix": first["documentPrefix"],
        **({"fusion": first["fusion"]} if "fusion" in first else {}),
        "model": "model.onnx",
        "sha256": digest,
        "training": {
            "command": "python3 scripts/static-model/ensemble-model.py --members " + " ".join(f"<{c['revision']}>" for _, c in members),
            "ensemble": [{"revision": c["revision"], "sha256": c["sha256"], **c.get("training", {})} for _, c in members],
        },
        "reference": {"input_ids": ref_ids, "first8": [[round(float(x), 6) for x in row[:8]] for row in ref]},
    }
    with open(os.path.join(args.out, "codeidx-model.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        src = os.path.join(args.members[0], name)
        if os.path.exists(src) and os.path.abspath(src) != os.path.abspath(os.path.join(args.out, name)):
            shutil.copyfile(src, os.path.join(args.out, name))
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path) / 1e6:.1f} MB, {len(nodes)} nodes, {dims} dims, sha256 {digest})")


if __name__ == "__main__":
    main()
