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

With `--project D --fit SUITE_IDS_JSON` the concatenated vector is projected onto its top D principal
directions and L2-normalised again, so the ensemble stores D-dim vectors (e.g. 256, as one member):

    python3 scripts/static-model/ensemble-model.py --members models/codeidx-static /tmp/cand/s7 \
      --project 256 --fit .data/suite-train.ids.json --out /tmp/cand/AB-256

The directions are the eigenvectors of the uncentred second-moment matrix ½(CᵀC/|C| + QᵀQ/|Q|) of the
ensemble's vectors of code chunks C and queries Q of a suite dumped by scripts/static-model/dump-suite.ts
(the train split's: never a validation or test text); uncentred, so a text with no known token stays the
zero vector, and both sides weigh the same, since a cosine is taken between a query and a chunk. The fit
uses every query and `--fit-chunks` chunks drawn with a fixed seed (deterministic).
`--skip-top K` leaves out the top K directions (all-but-the-top, Mu & Viswanath 2018, arXiv:1702.01417) and
`--whiten γ` scales each kept direction by (λ / λ_first)^−γ (γ = ½: whitening, Su et al. 2021,
arXiv:2103.15316); both keep the map linear and uncentred.

With `--prune-vocab FILE…` (training pairs as JSONL with queryIds/codeIds, or suites dumped by dump-suite.ts)
only the table rows of token ids that occur in those files are kept: an id never seen in training keeps its
random initial row (SparseAdam updates only rows with a gradient), so it is mapped to a zero row instead
(weight 0, as if absent). The graph gathers `vocab_remap[input_ids]` (int64 [30522], shared by the members)
before each member's table and row scales; the term-frequency count still compares the original ids. Of
30,522 rows about 14,600 remain, which is what lets three members fit the 20 MB limit.

With `--learn-projection PAIRS.jsonl…` (after `--project`/`--fit`, which give its start) the projection is
then trained with the encoders' loss instead of kept as fitted: symmetric in-batch InfoNCE (van den Oord et
al. 2018, arXiv:1807.03748) over the (query, code) pairs of those files, the members frozen and their vectors
computed once, Adam, a learned temperature; needs torch (Debian's python3-torch).
"""
import argparse
import copy
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
VOCAB = 30522  # bert-base-uncased; every member's table has this many rows unless pruned


def read_pairs(path, flag):
    """(queryIds, codeIds) of each line of a training-pairs JSONL written by scripts/mine-pairs.ts; exits
    with a message naming `flag` if the file does not exist."""
    if not os.path.isfile(path):
        sys.exit(f"error: {flag} {path} does not exist")
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            yield r["queryIds"], r["codeIds"]


def used_token_ids(paths):
    """Sorted token ids occurring in training pairs (JSONL lines with `queryIds` and `codeIds`) or in dumped
    suites (JSON with `chunks[].ids` and `queries[].ids`) at `paths`."""
    used = set()
    for path in paths:
        if path.endswith(".jsonl"):
            for query_ids, code_ids in read_pairs(path, "--prune-vocab"):
                used.update(query_ids)
                used.update(code_ids)
            continue
        if not os.path.isfile(path):
            sys.exit(f"error: --prune-vocab {path} does not exist")
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        for c in d["chunks"]:
            used.update(c["ids"])
        for q in d["queries"]:
            used.update(q["ids"])
    return sorted(used)


def vocab_remap(keep):
    """int64 [VOCAB]: the row of each id in a table pruned to `keep` (sorted ids); other ids → len(keep),
    the appended zero row."""
    remap = np.full(VOCAB, len(keep), dtype=np.int64)
    remap[np.asarray(keep, dtype=np.int64)] = np.arange(len(keep), dtype=np.int64)
    return remap


def prune_member(model, keep):
    """A copy of a member's ModelProto whose [VOCAB, …] initializers (the int8 table, the row scales, a
    per-id tf exponent) keep only the rows of `keep` plus one zero row, gathered through
    `vocab_remap[input_ids]`. Exits if such an initializer is used other than by a Gather on input_ids."""
    model = copy.deepcopy(model)
    g = model.graph
    rows = np.asarray(keep, dtype=np.int64)
    vocab_names = set()
    for init in g.initializer:
        arr = numpy_helper.to_array(init)
        if arr.ndim >= 1 and arr.shape[0] == VOCAB:
            pruned = np.concatenate([arr[rows], np.zeros((1,) + arr.shape[1:], dtype=arr.dtype)])
            init.CopyFrom(numpy_helper.from_array(pruned, init.name))
            vocab_names.add(init.name)
    for node in g.node:
        uses = [x for x in node.input if x in vocab_names]
        if not uses:
            continue
        if node.op_type != "Gather" or node.input[0] not in vocab_names or node.input[1] != "input_ids":
            sys.exit(f"error: cannot prune the vocabulary: {uses[0]} is used by a {node.op_type} node other than a Gather on input_ids")
        node.input[1] = "pruned_ids"
    g.initializer.append(numpy_helper.from_array(vocab_remap(keep), "vocab_remap"))
    g.node.insert(0, helper.make_node("Gather", ["vocab_remap", "input_ids"], ["pruned_ids"], axis=0))
    return model


def member_forward(w, seqs):
    """NumPy forward of one member (static_graph.forward; `w` its initializers by name) for token-id
    sequences, through its vocab_remap if it is pruned: float32 [len(seqs), dims]. Remapping is exact: kept
    ids map one to one, so their term-frequency counts are unchanged, and every other id lands on the zero
    row, which weighs nothing."""
    if "vocab_remap" in w:
        seqs = [w["vocab_remap"][np.asarray(ids)] for ids in seqs]
    return forward(w, seqs)


def ensemble_forward(weights, seqs):
    """The merged graph's output before any projection, in NumPy: the members' unit vectors (`weights`: one
    initializer dict per member) concatenated and scaled by 1/sqrt(M); float32 [len(seqs), Σ dims]."""
    return np.concatenate([member_forward(w, seqs) for w in weights], axis=1) / np.float32(math.sqrt(len(weights)))


def load_member(path):
    """(onnx ModelProto, codeidx-model.json dict) of one member directory."""
    with open(os.path.join(path, "codeidx-model.json")) as f:
        config = json.load(f)
    model = onnx.load(os.path.join(path, config.get("model", "model.onnx")))
    return model, config


def merge(members):
    """One graph from the members' graphs: prefixed copies; initializers of equal value (small constants, a
    pruned vocabulary's remap) stored once and nodes with equal op, inputs and attributes computed once;
    outputs concatenated and scaled by 1/sqrt(M). Returns (nodes, initializers, total dims)."""
    nodes, inits = [], []
    const_by_value = {}  # (dtype, shape, sha256 of the bytes) -> name of the first initializer with that value
    node_by_key = {}  # (op, inputs, attributes) -> output names of the first such node
    outputs = []
    dims = 0
    for i, (model, config) in enumerate(members):
        g = model.graph
        rename = {name: name for name in INPUTS}
        for init in g.initializer:
            arr = numpy_helper.to_array(init)
            # initializers equal in every member (axes, eps, one, the vocab remap) are stored once
            key = (arr.dtype.str, arr.shape, hashlib.sha256(arr.tobytes()).hexdigest())
            if key in const_by_value:
                rename[init.name] = const_by_value[key]
                continue
            new = f"m{i}_{init.name}"
            rename[init.name] = new
            inits.append(numpy_helper.from_array(arr, new))
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
            clone = helper.make_node(node.op_type, ins, outs, name=f"m{i}_{node.name}" if node.name else "")
            clone.attribute.extend(node.attribute)
            nodes.append(clone)
        outputs.append(rename["sentence_embedding"])
        dims += int(config["dims"])
    inits.append(numpy_helper.from_array(np.array(1.0 / math.sqrt(len(members)), dtype=np.float32), "ensemble_scale"))
    nodes.append(helper.make_node("Concat", outputs, ["concatenated"], axis=1))
    nodes.append(helper.make_node("Mul", ["concatenated", "ensemble_scale"], ["sentence_embedding"]))
    return nodes, inits, dims


def fit_projection(weights, fit_path, dims, n_chunks, seed=0, skip_top=0, whiten=0.0):
    """float32 [Σ member dims, dims]: eigenvectors (columns, by decreasing eigenvalue, each with its largest
    entry positive so the result is deterministic) of ½(CᵀC/|C| + QᵀQ/|Q|), C and Q the ensemble's vectors
    (`ensemble_forward` of the members' `weights`) of `n_chunks` chunks (drawn with `seed`) and of every query
    of the dumped suite at `fit_path`: the top `dims` ones, or with `skip_top` K the K+1st to K+dims-th
    (all-but-the-top, Mu & Viswanath 2018, arXiv:1702.01417: the first direction of an uncentred moment is
    close to the mean every text shares); with `whiten` γ > 0 column i is scaled by (λ_i / λ_first)^−γ
    (γ = ½ is whitening, Su et al. 2021, arXiv:2103.15316; uncentred, so zero stays zero). Also returns the
    share of the second moment the kept directions hold (0–1)."""
    with open(fit_path, encoding="utf-8") as f:
        suite = json.load(f)
    rng = np.random.default_rng(seed)
    chunks = [c["ids"] for c in suite["chunks"]]
    if n_chunks < len(chunks):
        chunks = [chunks[i] for i in sorted(rng.choice(len(chunks), n_chunks, replace=False))]
    queries = [q["ids"] for q in suite["queries"]]
    if not chunks or not queries:
        sys.exit(f"error: --fit {fit_path} has no chunks or no queries")
    c, q = ensemble_forward(weights, chunks), ensemble_forward(weights, queries)
    moment = 0.5 * (c.T.astype(np.float64) @ c / len(c) + q.T.astype(np.float64) @ q / len(q))
    values, vecs = np.linalg.eigh(moment)
    order = np.argsort(values)[::-1][skip_top:skip_top + dims]
    w = vecs[:, order]
    w = w * np.sign(w[np.abs(w).argmax(axis=0), np.arange(dims)])
    if whiten > 0:
        w = w * (np.maximum(values[order], 1e-12) / values[order[0]]) ** -whiten
    return w.astype(np.float32), float(values[order].sum() / values.sum())


def learn_projection(weights, pair_paths, start, epochs, lr, batch=512, seed=13, temperature=32.0):
    """float32 [Σ member dims, D]: `start` (e.g. the PCA matrix) trained for `epochs` passes over the pairs
    of `pair_paths` (JSONL with `queryIds`, `codeIds`; pairs with no known token on a side are skipped) to
    minimise the symmetric in-batch InfoNCE loss of normalize(q·P) against normalize(c·P), q and c the
    ensemble's concatenated vectors (`ensemble_forward` of the members' `weights`, frozen), with a learned temperature starting at `temperature`
    (about the members' own). Adam with `lr`, batches of `batch`, shuffled with `seed`; deterministic on
    one thread. Prints the mean loss per epoch."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    pairs = [pair for path in pair_paths for pair in read_pairs(path, "--learn-projection")]
    xq = ensemble_forward(weights, [q for q, _ in pairs])
    xc = ensemble_forward(weights, [c for _, c in pairs])
    keep = (np.linalg.norm(xq, axis=1) > 0) & (np.linalg.norm(xc, axis=1) > 0)
    xq, xc = torch.from_numpy(xq[keep]), torch.from_numpy(xc[keep])
    print(f"learning the projection on {len(xq)} pairs ({int((~keep).sum())} without a known token skipped)")
    proj = torch.nn.Parameter(torch.from_numpy(np.array(start, dtype=np.float32)))
    log_t = torch.nn.Parameter(torch.tensor(math.log(temperature)))
    opt = torch.optim.Adam([proj, log_t], lr=lr)
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        order = rng.permutation(len(xq))
        total, steps = 0.0, 0
        for i in range(0, len(order) - batch + 1, batch):
            idx = torch.from_numpy(order[i:i + batch])
            q = F.normalize(xq[idx] @ proj, dim=1)
            c = F.normalize(xc[idx] @ proj, dim=1)
            logits = (q @ c.T) * log_t.exp().clamp(max=100.0)
            labels = torch.arange(len(idx))
            loss = 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, steps = total + loss.item(), steps + 1
        print(f"projection epoch {epoch + 1}: loss {total / max(steps, 1):.4f}, temperature {log_t.exp().item():.1f}", flush=True)
    return proj.detach().numpy().astype(np.float32)


def add_projection(nodes, inits, projection):
    """Appends y = x·P / max(‖x·P‖, 1e-12) to the merged graph (its output renamed from
    `sentence_embedding` to `ensemble_concat`)."""
    nodes[-1].output[0] = "ensemble_concat"
    inits.append(numpy_helper.from_array(projection, "ensemble_projection"))
    inits.append(numpy_helper.from_array(np.array(1e-12, dtype=np.float32), "ensemble_eps"))
    nodes.append(helper.make_node("MatMul", ["ensemble_concat", "ensemble_projection"], ["projected"]))
    nodes.append(helper.make_node("ReduceL2", ["projected"], ["projected_norm"], axes=[1], keepdims=1))
    nodes.append(helper.make_node("Max", ["projected_norm", "ensemble_eps"], ["projected_safe_norm"]))
    nodes.append(helper.make_node("Div", ["projected", "projected_safe_norm"], ["sentence_embedding"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", nargs="+", required=True, help="model directories (the first one's tokenizer and reference inputs are used)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--project", type=int, help="project the concatenated vector onto its top D principal directions")
    ap.add_argument("--fit", help="with --project: a suite dumped by dump-suite.ts whose chunks and queries fit the projection")
    ap.add_argument("--fit-chunks", type=int, default=30000, help="with --project: chunks of --fit drawn for the fit (default 30000)")
    ap.add_argument("--skip-top", type=int, default=0, metavar="K", help="with --project: leave out the top K principal directions (all-but-the-top)")
    ap.add_argument("--whiten", type=float, default=0.0, metavar="GAMMA", help="with --project: scale each direction by (eigenvalue / the first kept one)^-GAMMA (0.5 = whitening)")
    ap.add_argument("--prune-vocab", nargs="+", help="training pairs (JSONL) or dumped suites whose token ids keep their table rows")
    ap.add_argument("--learn-projection", nargs="+", help="with --project: train the projection on these pairs (JSONL) with the contrastive loss")
    ap.add_argument("--learn-epochs", type=int, default=3)
    ap.add_argument("--learn-lr", type=float, default=1e-3)
    args = ap.parse_args()
    if len(args.members) < 2:
        sys.exit("error: an ensemble needs at least two --members")
    if (args.project is None) != (args.fit is None):
        sys.exit("error: --project and --fit go together")
    if (args.skip_top or args.whiten) and args.project is None:
        sys.exit("error: --skip-top and --whiten shape the projection; they need --project and --fit")
    if args.learn_projection and args.project is None:
        sys.exit("error: --learn-projection needs --project and --fit (the fitted projection is where it starts)")
    if args.fit is not None and not os.path.isfile(args.fit):
        sys.exit(f"error: --fit {args.fit} does not exist; write it with scripts/static-model/dump-suite.ts (see MODEL_CARD.md, Training)")
    for p in args.members:
        for name in ("model.onnx", "codeidx-model.json", "tokenizer.json"):
            if not os.path.isfile(os.path.join(p, name)):
                sys.exit(f"error: --members {p} has no {name}; a training run's --out holds model.onnx and codeidx-model.json, "
                         "copy tokenizer.json and tokenizer_config.json from models/codeidx-static")
    members = [load_member(p) for p in args.members]
    if args.prune_vocab:
        keep = used_token_ids(args.prune_vocab)
        members = [(prune_member(m, keep), c) for m, c in members]
        print(f"vocabulary pruned to {len(keep)} of {VOCAB} rows")
    tokenizers = {open(os.path.join(p, "tokenizer.json"), "rb").read() for p in args.members}
    if len(tokenizers) != 1:
        sys.exit("error: the members' tokenizer.json files differ; an ensemble needs one tokenizer")
    nodes, inits, dims = merge(members)
    weights = [graph_weights(m.graph) for m, _ in members]  # each member's initializers, read once
    projection = None
    if args.project is not None:
        if not 0 < args.project <= dims - args.skip_top or args.skip_top < 0:
            sys.exit(f"error: --project + --skip-top must lie in [1, {dims}] (the members' dims summed), --skip-top ≥ 0")
        if not 0 <= args.whiten <= 1:
            sys.exit("error: --whiten must lie in [0, 1] (0.5 = whitening)")
        projection, kept = fit_projection(weights, args.fit, args.project, args.fit_chunks, skip_top=args.skip_top, whiten=args.whiten)
        print(f"projection onto {args.project} of {dims} dims keeps {kept:.1%} of the second moment")
        if args.learn_projection:
            projection = learn_projection(weights, args.learn_projection, projection, args.learn_epochs, args.learn_lr)
        add_projection(nodes, inits, projection)
        dims = args.project
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
    ref = ensemble_forward(weights, ref_ids)
    if projection is not None:
        ref = ref @ projection
        ref = ref / np.maximum(np.linalg.norm(ref, axis=1, keepdims=True), 1e-12)
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
            "command": "python3 scripts/static-model/ensemble-model.py --members " + " ".join(f"<{c['revision']}>" for _, c in members)
            + (f" --project {args.project} --fit {args.fit} --fit-chunks {args.fit_chunks}" if projection is not None else "")
            + (f" --skip-top {args.skip_top}" if projection is not None and args.skip_top else "")
            + (f" --whiten {args.whiten}" if projection is not None and args.whiten else "")
            + (" --prune-vocab " + " ".join(args.prune_vocab) if args.prune_vocab else "")
            + (f" --learn-projection {' '.join(args.learn_projection)} --learn-epochs {args.learn_epochs} --learn-lr {args.learn_lr}"
               if args.learn_projection else ""),
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
