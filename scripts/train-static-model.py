#!/usr/bin/env python3
"""Trains codeidx-static, a static (neural bag-of-words) code-search embedding model, and exports it to ONNX.

    npm run train:model            # = bash scripts/train-model.sh = this script with Debian's python3-torch
    python3 scripts/train-static-model.py --pairs .data/pairs --out models/codeidx-static [--dims 256]

Model (the NBoW encoder of the CodeSearchNet baselines, Husain et al. 2019, arXiv:1909.09436, as in
static embedding models such as model2vec/potion): a token table E [30522, dims]; an input's embedding is
the sum of the rows of its tokens (special tokens [PAD]/[UNK]/[CLS]/[SEP]/[MASK] contribute nothing),
L2-normalised. The sum of the rows equals their mean up to a positive factor, so after normalisation it
is the mean pooling the ONNX runtime expects; the learned row norms act as per-token weights.
Options of the pooling: `--pos-weights` learns one weight per token position (0 = [CLS], up to
maxTokens 256), so the sum becomes a position-weighted sum (the path/scope header and the signature
open every chunk); `--tf-sat ALPHA0` makes term frequency sublinear: a token that occurs tf times in a
text counts tf^alpha times instead of tf (each occurrence weighs tf^(alpha - 1); alpha in (0, 1) learned
from ALPHA0), the saturation of BM25 in a form a static model can compute, so a variable used twenty
times in a body does not outweigh the name and the words used once; `--mlp H` adds a residual two-layer MLP on the normalised sum, v + W2 relu(W1 v)
with W1 [dims, H], W2 [H, dims] and no biases, then normalises again (a deep averaging network,
Iyyer et al. 2015, ACL, "Deep Unordered Composition Rivals Syntactic Methods for Text
Classification"); a text with no known token still embeds to the zero vector.
`--tables separate` trains one table for queries and one for code (CodeSearchNet style); the default
`shared` uses one table for both.

Training: in-batch softmax contrastive loss (InfoNCE, symmetric query→code and code→query) with a
learned temperature, SparseAdam on the table (only rows in the batch move), token dropout, optional linear learning-rate decay (`--lr-decay`); validation MRR (each validation
query ranked against every validation code chunk) is checked `--evals-per-epoch` times per epoch and
the best checkpoint is kept (`--select`: by that MRR, by MRR within each validation unit, or by
MRR@10 on a validation suite built like eval suite 1 and dumped as token ids by
scripts/static-model/dump-suite.ts, `--suite-ids`). `--extra FILE…` appends training-only pairs (scripts/mine-pairs.ts
--extra). `--mined-negs K --train-suite-ids F` adds, from epoch `--mine-from` on, K negatives per pair drawn
from the 2K chunks the current model ranks closest to its query (ANCE, Xiong et al. 2021, arXiv:2007.00808),
re-mined at the checks: among the chunks of the pair's own file in the train split's dump, or with
`--mine-scope unit` among every chunk of its unit (package). Seeded; `--threads` torch threads.
Experiments (MODEL_CARD.md, candidates of 2026-12-02; none shipped): `--file-negs K --train-suite-ids F`
adds K chunks of each pair's own file (from the train split mined and dumped like the suites) as extra
negatives; `--query-marker ID` puts a vocabulary id after [CLS] in every query; `--bigrams B` adds B
hashed rows for adjacent-id bigrams (these two run with `--no-export` only); `--tf-sat-per-token` learns
one term-frequency exponent per vocabulary id instead of one for all; `--idf` multiplies each token's
weight by idf(t)^beta of the training code (beta learned; folded into the table at export);
`--loss query-to-code` drops the code → query half of the loss. `--teacher DIR… --distill LAMBDA` distils
an ensemble of exported models (their mean cosine; scripts/static-model/ensemble-model.py builds the same
ensemble as one graph) into the student: the query → code loss becomes (1 − LAMBDA)·cross-entropy +
LAMBDA·KL(teacher ‖ student) over the same columns (knowledge distillation, Hinton et al. 2015,
arXiv:1503.02531); the teacher's vectors are computed once, before training.

Export: the table is quantised to int8 with one float32 scale per row (symmetric, scale = max|row|/127)
and written as an ONNX graph by hand (onnx.helper): Gather → Cast → × (row scale × attention mask
[× position weight] [× tf^(alpha - 1), tf counted by an id-equality matrix over the sequence]) → ReduceSum over tokens → ÷ max(L2 norm, 1e-12) [→ residual MLP → ÷ L2 norm]. Inputs input_ids, attention_mask int64 [batch, seq];
output sentence_embedding float32 [batch, dims]. The script then checks the graph against the PyTorch
encoder on validation inputs and writes the sha256 and metrics into codeidx-model.json.
"""
import argparse
from collections import Counter
import hashlib
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "static-model"))
from static_graph import MAX_POS, exported_weights, forward  # noqa: E402  (torch-free; shared with ensemble-model.py)

VOCAB = 30522
SPECIAL = [0, 100, 101, 102, 103]  # [PAD] [UNK] [CLS] [SEP] [MASK]


def load(path, limit=None, meta=None):
    """Token ids of (query, code) pairs; `meta` (a list) receives (unit, path, startLine, endLine) of each kept pair."""
    qs, cs, ms, known = [], [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            qs.append(strip_special(r["queryIds"], query=True))
            cs.append(strip_special(r["codeIds"]))
            known.append(any(t not in SPECIAL_SET for t in r["queryIds"]) and any(t not in SPECIAL_SET for t in r["codeIds"]))
            ms.append((r.get("unit", ""), r.get("path", ""), r.get("startLine"), r.get("endLine")))
            if limit and len(qs) >= limit:
                break
    keep = [i for i in range(len(qs)) if known[i]]
    if meta is not None:
        meta.extend(ms[i] for i in keep)
    return [qs[i] for i in keep], [cs[i] for i in keep]


def grouped_order(meta, group_by, group_size, rng):
    """One epoch's order of pair indices: pairs of one unit (or file) shuffled and cut into groups of
    `group_size`; the groups are shuffled and concatenated, so consecutive batch slices hold several
    groups and the in-batch negatives of a pair include other functions of its own unit/file."""
    key = 0 if group_by == "unit" else 1
    buckets = {}
    for i, m in enumerate(meta):
        buckets.setdefault(m[key], []).append(i)
    groups = []
    for k in sorted(buckets):
        idx = buckets[k]
        rng.shuffle(idx)
        for j in range(0, len(idx), group_size):
            groups.append(idx[j:j + group_size])
    rng.shuffle(groups)
    return [i for g in groups for i in g]


def mine_hard_negatives(qs, cs, meta, k):
    """For each pair, the k code chunks of the same unit (other pairs) most BM25-similar to its query
    (BM25 k1 1.2, b 0.75, idf over the unit's code chunks); -1 where the unit is too small."""
    out = np.full((len(qs), k), -1, dtype=np.int64)
    units = {}
    for i, m in enumerate(meta):
        units.setdefault(m[0], []).append(i)
    for idx in units.values():
        n = len(idx)
        if n < 2:
            continue
        vocab = {}
        rows, cols, vals = [], [], []
        lens = np.zeros(n, dtype=np.float32)
        for r, i in enumerate(idx):
            tf = {}
            for t in cs[i].ids:
                tf[t] = tf.get(t, 0) + 1
            lens[r] = len(cs[i].ids)
            for t, c in tf.items():
                rows.append(r)
                cols.append(vocab.setdefault(t, len(vocab)))
                vals.append(c)
        rows, cols, vals = np.array(rows), np.array(cols), np.array(vals, dtype=np.float32)
        df = np.bincount(cols, minlength=len(vocab)).astype(np.float32)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        avg = lens.mean()
        w = vals * 2.2 / (vals + 1.2 * (0.25 + 0.75 * lens[rows] / avg)) * idf[cols]
        code = np.zeros((n, len(vocab)), dtype=np.float32)
        code[rows, cols] = w
        query = np.zeros((n, len(vocab)), dtype=np.float32)
        for r, i in enumerate(idx):
            for t in set(qs[i].ids):
                c = vocab.get(t)
                if c is not None:
                    query[r, c] = 1.0
        scores = query @ code.T
        np.fill_diagonal(scores, -np.inf)
        kk = min(k, n - 1)
        top = np.argsort(-scores, axis=1)[:, :kk]
        out[np.array(idx), :kk] = np.array(idx)[top]
    return out


def file_negatives(meta, suite_path):
    """For each pair, the chunks of its own file in a suite dump of the train split (scripts/mine-pairs.ts
    --train-suite, then dump-suite.ts) whose lines do not overlap the pair's function: its neighbours as
    the suites' index holds them (undocumented functions, types, other documented functions), which a
    suite ranks the query against. Returns (chunk Seqs, candidate chunk indices per pair)."""
    chunks, locs, _, _ = load_suite(suite_path)
    by_path = {}
    for i, (path, _, _) in enumerate(locs):
        by_path.setdefault(path, []).append(i)
    cands = []
    for m in meta:
        path, start, end = m[1], m[2], m[3]
        cands.append([i for i in by_path.get(path, []) if start is None or locs[i][2] < start or locs[i][1] > end])
    return chunks, cands


def unit_of_path(path):
    """The mining unit of a path in a suite dump or a pair (as scripts/mine-pairs.ts names units): a Go
    package directory (`go/archive/tar`), a Python package (`python/email`) or top-level module (the file
    itself), an npm package (`npm/zod`, `npm/@scope/name`); any other path is its own unit."""
    parts = path.split("/")
    if parts[0] == "go":
        return "/".join(parts[:-1])
    if parts[0] == "python":
        return "/".join(parts[:2]) if len(parts) > 2 else path
    if parts[0] == "npm":
        return "/".join(parts[:3]) if len(parts) > 3 and parts[1].startswith("@") else "/".join(parts[:2])
    return path


def unit_mining_index(meta, suite_path):
    """`--mine-scope unit`: what `mine_by_model_unit` needs, fixed for a run. For every unit of the train
    split's dump (`unit_of_path`) that has pairs: its chunk ids (a LongTensor), its pair ids, and the
    (pair row, chunk column) cells to leave out, i.e. the chunks of a pair's own file whose lines overlap
    its function. Returns (chunk Seqs, [(chunk ids, pair ids, excluded rows, excluded columns)])."""
    chunks, locs, _, _ = load_suite(suite_path)
    unit_chunks = {}
    for i, (path, _, _) in enumerate(locs):
        unit_chunks.setdefault(unit_of_path(path), []).append(i)
    unit_pairs = {}
    for j, m in enumerate(meta):
        if m[1] and unit_of_path(m[1]) in unit_chunks:
            unit_pairs.setdefault(unit_of_path(m[1]), []).append(j)
    units = []
    for u in sorted(unit_pairs):
        cids, pids = unit_chunks[u], unit_pairs[u]
        cols_by_path = {}
        for col, i in enumerate(cids):
            cols_by_path.setdefault(locs[i][0], []).append(col)
        ex_r, ex_c = [], []
        for r, j in enumerate(pids):
            path, start, end = meta[j][1], meta[j][2], meta[j][3]
            for col in cols_by_path.get(path, []):
                i = cids[col]
                if start is None or not (locs[i][2] < start or locs[i][1] > end):
                    ex_r.append(r)
                    ex_c.append(col)
        units.append((torch.tensor(cids), pids, torch.tensor(ex_r, dtype=torch.long), torch.tensor(ex_c, dtype=torch.long)))
    return chunks, units


def mine_by_model_unit(model, tq, chunks, units, pool, n_pairs, batch=4096):
    """Model-mined negatives within a pair's unit (`--mine-scope unit`): as `mine_by_model`, but the
    candidates are every chunk of the pair's package in the train split's dump except those overlapping
    its own function, so functions of other files that the model confuses with the answer are drawn too
    (suite 1 ranks a docstring against every chunk of its packages). One [pairs × chunks] product per
    unit. Returns, per pair, the `pool` closest chunk ids, or None."""
    out = [None] * n_pairs
    was_training = model.training
    model.eval()
    with torch.no_grad():
        need = torch.cat([u[0] for u in units]).unique()
        row = torch.full((len(chunks),), -1, dtype=torch.long)
        row[need] = torch.arange(len(need))
        ids = need.tolist()
        c = torch.cat([model.encode(model.code, [chunks[i] for i in ids[b:b + batch]]) for b in range(0, len(ids), batch)])
        for cids, pids, ex_r, ex_c in units:
            q = torch.cat([model.encode(model.query, [tq[j] for j in pids[b:b + batch]]) for b in range(0, len(pids), batch)])
            sim = q @ c[row[cids]].T
            if len(ex_r):
                sim[ex_r, ex_c] = float("-inf")
            k = min(pool, len(cids))
            vals, top = sim.topk(k, dim=1)
            cl = cids.tolist()
            for r, j in enumerate(pids):
                picked = [cl[t] for t, v in zip(top[r].tolist(), vals[r].tolist()) if v != float("-inf")]
                out[j] = picked or None
    if was_training:
        model.train()
    return out


def mining_index(fcands):
    """What `mine_by_model` needs of the same-file candidates (file_negatives), fixed for a run: the
    candidate chunk ids to encode (sorted), the pairs that have candidates, and for each such pair the
    rows of its candidates among the encoded chunks (a LongTensor)."""
    need = sorted({i for c in fcands for i in c})
    row = {i: n for n, i in enumerate(need)}
    pairs = [j for j, c in enumerate(fcands) if c]
    return need, pairs, [torch.tensor([row[i] for i in fcands[j]]) for j in pairs]


def mine_by_model(model, tq, fchunks, fcands, index, pool, batch=4096):
    """Model-mined negatives (as ANCE, Xiong et al. 2021, arXiv:2007.00808, within a pair's own file):
    for each pair, the `pool` chunks among its same-file candidates (file_negatives) that the current
    model ranks closest to its query; None where a pair has no candidate. `index` is
    `mining_index(fcands)`, built once per run."""
    need, pairs, cand_rows = index
    out = [None] * len(fcands)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        c = torch.cat([model.encode(model.code, [fchunks[i] for i in need[b:b + batch]]) for b in range(0, len(need), batch)])
        q = torch.cat([model.encode(model.query, [tq[j] for j in pairs[b:b + batch]]) for b in range(0, len(pairs), batch)])
        for n, j in enumerate(pairs):
            cand = fcands[j]
            s = c[cand_rows[n]] @ q[n]
            top = s.topk(min(pool, len(cand))).indices.tolist()
            out[j] = [cand[t] for t in top]
    if was_training:
        model.train()
    return out


def unit_mrr(model, qs, cs, meta):
    """Validation MRR within units: each query ranked against the code chunks of its own unit only
    (closer to the suite, which ranks against all chunks of the same packages)."""
    units = {}
    for i, m in enumerate(meta):
        units.setdefault(m[0], []).append(i)
    with torch.no_grad():
        q = model.encode(model.query, qs)
        c = model.encode(model.code, cs)
        total = 0.0
        for idx in units.values():
            t = torch.tensor(idx)
            scores = q[t] @ c[t].T
            correct = scores.diagonal().unsqueeze(1)
            ranks = (scores > correct).sum(1) + 1
            total += (1.0 / ranks.float()).sum().item()
    return total / len(qs)


SPECIAL_SET = set(SPECIAL)


class Seq:
    """A tokenized text without its special tokens: `ids` and each one's position in the full
    sequence ([CLS] at 0), which the position weights (`--pos-weights`) look up."""

    __slots__ = ("ids", "pos")

    def __init__(self, ids, pos):
        self.ids = ids
        self.pos = pos


MARKER = 0  # --query-marker: a vocabulary id inserted after [CLS] in every query (0 = none)
BIGRAMS = 0  # --bigrams: hashed bigram buckets, rows VOCAB.. VOCAB + BIGRAMS - 1 of the table (0 = none)


def bigram_row(a, b):
    """Table row of the bigram (a, b) of adjacent ids: VOCAB + (a * VOCAB + b) mod BIGRAMS."""
    return VOCAB + (a * VOCAB + b) % BIGRAMS


def strip_special(ids, query=False):
    """Seq of `ids` (with [CLS]/[SEP]) without the special tokens, positions kept; with --query-marker
    a query gets the marker after [CLS]; with --bigrams every adjacent pair (specials included, so
    [CLS] x and x [SEP] count) adds its hashed bigram row at the position of its first id."""
    if MARKER and query:
        ids = list(ids[:1]) + [MARKER] + list(ids[1:])
    keep = [(t, min(p, MAX_POS - 1)) for p, t in enumerate(ids) if t not in SPECIAL_SET]
    toks, pos = [t for t, _ in keep], [p for _, p in keep]
    if BIGRAMS:
        for p in range(len(ids) - 1):
            toks.append(bigram_row(ids[p], ids[p + 1]))
            pos.append(min(p, MAX_POS - 1))
    return Seq(toks, pos)


def bag(seqs, drop=0.0, rng=None, with_tf=False):
    """Flat ids + offsets + positions for F.embedding_bag, with optional token dropout (never empties a
    bag), and with `with_tf` each token's count in its own text (term frequency, after dropout; else None)."""
    flat, offsets, pos, tf = [], [], [], []
    for s in seqs:
        offsets.append(len(flat))
        ids, ps = s.ids, s.pos
        if drop > 0 and ids:
            kept = [j for j in range(len(ids)) if rng.random() >= drop or ids[j] == MARKER]
            if kept:
                ids, ps = [ids[j] for j in kept], [ps[j] for j in kept]
        flat.extend(ids)
        pos.extend(ps)
        if with_tf:
            counts = Counter(ids)
            tf.extend(counts[t] for t in ids)
    return (torch.tensor(flat, dtype=torch.long), torch.tensor(offsets, dtype=torch.long), torch.tensor(pos, dtype=torch.long),
            torch.tensor(tf, dtype=torch.float32) if with_tf else None)


class Encoder(torch.nn.Module):
    def __init__(self, dims, tables, pos_weights=False, mlp=0, tf_sat=None, tf_per_token=False):
        super().__init__()
        # --tf-sat: a token that occurs tf times in a text contributes tf^alpha rows in total instead of
        # tf (each occurrence weighs tf^(alpha - 1)): sublinear term frequency, as BM25's saturation
        # (Robertson & Zaragoza 2009) and the log-tf of SMART; alpha = sigmoid(tf_logit) in (0, 1), learned
        # (--tf-sat-per-token: one alpha per vocabulary id, all starting from the same value)
        self.tf_logit = None
        if tf_sat is not None:
            logit = torch.tensor(math.log(tf_sat / (1.0 - tf_sat)))
            self.tf_logit = torch.nn.Parameter(logit.repeat(VOCAB + BIGRAMS) if tf_per_token else logit)
        # optional residual MLP on the normalised pooled vector (a deep averaging network, Iyyer et al.
        # 2015): v + W2 relu(W1 v), no biases, so a text with no known token stays the zero vector
        self.mlp_in = torch.nn.Parameter(torch.randn(dims, mlp) * (1.0 / math.sqrt(dims))) if mlp else None
        self.mlp_out = torch.nn.Parameter(torch.zeros(mlp, dims)) if mlp else None
        # log of a weight per token position (0 = [CLS]); exp(0) = 1 is plain sum pooling
        self.log_pos = torch.nn.Parameter(torch.zeros(MAX_POS)) if pos_weights else None
        rows = VOCAB + BIGRAMS
        self.query = torch.nn.Parameter(torch.randn(rows, dims) * (1.0 / math.sqrt(dims)))
        self.code = self.query if tables == "shared" else torch.nn.Parameter(torch.randn(rows, dims) * (1.0 / math.sqrt(dims)))
        self.log_scale = torch.nn.Parameter(torch.tensor(math.log(20.0)))
        # --idf: each token's weight is multiplied by idf(t)^beta (idf of the training code, BM25's form,
        # a fixed buffer; beta learned from 1), so rare tokens, whose rows training rarely moves, weigh
        # more from the start; folded into the table at export (no graph change)
        self.log_idf = None
        self.idf_beta = None

    def encode(self, table, seqs, drop=0.0, rng=None):
        ids, offsets, pos, tf = bag(seqs, drop, rng, with_tf=self.tf_logit is not None)
        w = self.log_pos.exp()[pos] if self.log_pos is not None else None
        if self.log_idf is not None:
            iw = (self.idf_beta * self.log_idf[ids]).exp()
            w = iw if w is None else w * iw
        if self.tf_logit is not None:
            alpha = torch.sigmoid(self.tf_logit[ids] if self.tf_logit.dim() else self.tf_logit)
            tfw = tf.pow(alpha - 1.0)
            w = tfw if w is None else w * tfw
        v = F.normalize(F.embedding_bag(ids, table, offsets, mode="sum", sparse=self.training, per_sample_weights=w), dim=-1)
        if self.mlp_in is not None:
            v = F.normalize(v + torch.relu(v @ self.mlp_in) @ self.mlp_out, dim=-1)
        return v


def mrr(model, qs, cs, batch=2048):
    """Validation MRR: each query ranked against every code chunk of the set (full ranking, no cut-off)."""
    with torch.no_grad():
        c = torch.cat([model.encode(model.code, cs[i:i + batch]) for i in range(0, len(cs), batch)])
        total = 0.0
        for i in range(0, len(qs), batch):
            q = model.encode(model.query, qs[i:i + batch])
            scores = q @ c.T
            idx = torch.arange(i, i + q.shape[0])
            correct = scores[torch.arange(q.shape[0]), idx].unsqueeze(1)
            ranks = (scores > correct).sum(1) + 1
            total += (1.0 / ranks.float()).sum().item()
    return total / len(qs)


def load_teacher(path):
    """One member of a --teacher ensemble: an Encoder with the weights of a model directory exported by
    this script (model.onnx initializers: the int8 table × its row scales, position weights, the
    term-frequency exponent, the residual MLP), in eval mode. Exits with a message for a graph without
    position weights, sublinear tf or the MLP (every model since `233c28668615` has all three)."""
    w = exported_weights(path)
    missing = [k for k in ("table", "scale", "pos_weight", "tf_exponent", "mlp_in", "mlp_out") if k not in w]
    if missing or np.ndim(w["tf_exponent"]):
        sys.exit(f"--teacher {path}: not a graph with position weights, one tf exponent and the MLP (missing {missing})")
    teacher = Encoder(w["table"].shape[1], "shared", True, w["mlp_in"].shape[1], float(w["tf_exponent"]) + 1.0)
    with torch.no_grad():
        teacher.query.copy_(torch.from_numpy(w["table"].astype(np.float32) * w["scale"][:, None]))
        teacher.log_pos.copy_(torch.from_numpy(np.log(w["pos_weight"].astype(np.float32))))
        teacher.mlp_in.copy_(torch.from_numpy(np.array(w["mlp_in"], dtype=np.float32)))
        teacher.mlp_out.copy_(torch.from_numpy(np.array(w["mlp_out"], dtype=np.float32)))
    teacher.eval()
    return teacher


def teacher_vectors(teachers, seqs, batch=4096):
    """The --teacher ensemble's embeddings of `seqs`: the members' unit vectors concatenated and scaled by
    1/sqrt(M) (as scripts/static-model/ensemble-model.py builds it), so a dot product of two rows is the
    mean of the members' cosines; float32 [len(seqs), sum of the members' dims]."""
    with torch.no_grad():
        return torch.cat([torch.cat([t.encode(t.code, seqs[i:i + batch]) for t in teachers], dim=1)
                          for i in range(0, len(seqs), batch)]) / math.sqrt(len(teachers))


def load_suite(path):
    """An eval suite dumped as token ids by scripts/static-model/dump-suite.ts: (chunk Seqs, chunk
    locations (path, startLine, endLine), query Seqs, each query's relevant locations)."""
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    chunks = [strip_special(c["ids"]) for c in d["chunks"]]
    locs = [(c["path"], c["startLine"], c["endLine"]) for c in d["chunks"]]
    queries = [strip_special(q["ids"], query=True) for q in d["queries"]]
    relevant = [[(r["path"], r["startLine"], r["endLine"]) for r in q["relevant"]] for q in d["queries"]]
    return chunks, locs, queries, relevant


def suite_mrr10(model, suite, batch=2048):
    """MRR@10 of the semantic (kNN) mode on a dumped suite, with the eval's relevance rule
    (src/eval/run-eval.ts, src/core/retrieval-metrics.ts): a hit is relevant when it is in a relevant
    location's file and its lines overlap the location's lines (no lines: the whole file)."""
    chunks, locs, queries, relevant = suite
    with torch.no_grad():
        c = torch.cat([model.encode(model.code, chunks[i:i + batch]) for i in range(0, len(chunks), batch)])
        total = 0.0
        for i in range(0, len(queries), batch):
            q = model.encode(model.query, queries[i:i + batch])
            top = (q @ c.T).topk(10, dim=1).indices.tolist()
            for j, hits in enumerate(top):
                rel = relevant[i + j]
                for rank, h in enumerate(hits, 1):
                    path, start, end = locs[h]
                    if any(path == rp and (rs is None or (start <= (re if re is not None else rs) and end >= rs)) for rp, rs, re in rel):
                        total += 1.0 / rank
                        break
    return total / len(queries)


def quantize(table):
    """Symmetric per-row int8: (int8 [V, D], float32 scale [V]); special rows get scale 0."""
    t = table.detach().numpy().astype(np.float32)
    scale = np.abs(t).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.round(t / scale[:, None]), -127, 127).astype(np.int8)
    scale = scale.astype(np.float32)
    scale[SPECIAL] = 0.0
    return q, scale


def export_onnx(path, q, scale, dims, pos_weight=None, mlp=None, tf_alpha=None):
    """Writes the ONNX graph; `pos_weight` (float32 [MAX_POS]) multiplies each token's row by the weight
    of its position (positions past the last one use the last weight); `mlp` = (W1 [dims, h], W2 [h, dims])
    adds the residual MLP v + W2 relu(W1 v) after the first normalisation, then normalises again;
    `tf_alpha` (float in (0, 1), or float32 [VOCAB]: one per id) multiplies each token's row by
    tf^(alpha - 1), tf = how often its id occurs among the unmasked ids of its sequence (an [S, S]
    equality count per sequence)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["tok_i8"], axis=0),
        helper.make_node("Cast", ["tok_i8"], ["tok"], to=TensorProto.FLOAT),
        helper.make_node("Gather", ["scale", "input_ids"], ["tok_scale"], axis=0),
        helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["tok_scale", "mask"], ["weight"]),
    ]
    if pos_weight is not None:
        # weight[b, t] *= pos_weight[min(t, MAX_POS - 1)]
        nodes += [
            helper.make_node("Shape", ["input_ids"], ["ids_shape"]),
            helper.make_node("Gather", ["ids_shape", "one"], ["seq_len"], axis=0),
            helper.make_node("Range", ["zero", "seq_len", "one"], ["positions"]),
            helper.make_node("Min", ["positions", "last_pos"], ["positions_clamped"]),
            helper.make_node("Gather", ["pos_weight", "positions_clamped"], ["seq_weight"], axis=0),
            helper.make_node("Mul", ["weight", "seq_weight"], ["weight_pos"]),
        ]
    weight_out = "weight_pos" if pos_weight is not None else "weight"
    if tf_alpha is not None:
        # tf[b, i] = sum_j (ids[b, i] == ids[b, j]) * mask[b, j]; weight *= max(tf, 1)^(alpha - 1)
        nodes += [
            helper.make_node("Unsqueeze", ["input_ids", "axis2"], ["ids_col"]),
            helper.make_node("Unsqueeze", ["input_ids", "axis1"], ["ids_row"]),
            helper.make_node("Equal", ["ids_col", "ids_row"], ["same_id"]),
            helper.make_node("Cast", ["same_id"], ["same_id_f"], to=TensorProto.FLOAT),
            helper.make_node("Unsqueeze", ["mask", "axis1"], ["mask_row"]),
            helper.make_node("Mul", ["same_id_f", "mask_row"], ["same_id_masked"]),
            helper.make_node("ReduceSum", ["same_id_masked", "axis2"], ["tf_raw"], keepdims=0),
            helper.make_node("Max", ["tf_raw", "one_f"], ["tf"]),
        ]
        if np.ndim(tf_alpha):  # one exponent per vocabulary id
            nodes.append(helper.make_node("Gather", ["tf_exponent", "input_ids"], ["tf_exponent_id"], axis=0))
        nodes += [
            helper.make_node("Pow", ["tf", "tf_exponent_id" if np.ndim(tf_alpha) else "tf_exponent"], ["tf_weight"]),
            helper.make_node("Mul", [weight_out, "tf_weight"], ["weight_tf"]),
        ]
        weight_out = "weight_tf"
    nodes += [
        helper.make_node("Unsqueeze", [weight_out, "axis2"], ["weight3"]),
        helper.make_node("Mul", ["tok", "weight3"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted", "axis1"], ["pooled"], keepdims=0),
        helper.make_node("ReduceL2", ["pooled"], ["norm"], axes=[1], keepdims=1),
        helper.make_node("Max", ["norm", "eps"], ["safe_norm"]),
        helper.make_node("Div", ["pooled", "safe_norm"], ["unit" if mlp is not None else "sentence_embedding"]),
    ]
    if mlp is not None:
        nodes += [
            helper.make_node("MatMul", ["unit", "mlp_in"], ["hidden"]),
            helper.make_node("Relu", ["hidden"], ["hidden_relu"]),
            helper.make_node("MatMul", ["hidden_relu", "mlp_out"], ["delta"]),
            helper.make_node("Add", ["unit", "delta"], ["mixed"]),
            helper.make_node("ReduceL2", ["mixed"], ["norm2"], axes=[1], keepdims=1),
            helper.make_node("Max", ["norm2", "eps"], ["safe_norm2"]),
            helper.make_node("Div", ["mixed", "safe_norm2"], ["sentence_embedding"]),
        ]
    inits = [
        numpy_helper.from_array(q, "table"),
        numpy_helper.from_array(scale, "scale"),
        numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array([1e-12], dtype=np.float32), "eps"),
    ]
    if pos_weight is not None:
        inits += [
            numpy_helper.from_array(pos_weight.astype(np.float32), "pos_weight"),
            numpy_helper.from_array(np.array(0, dtype=np.int64), "zero"),
            numpy_helper.from_array(np.array(1, dtype=np.int64), "one"),
            numpy_helper.from_array(np.array(MAX_POS - 1, dtype=np.int64), "last_pos"),
        ]
    if tf_alpha is not None:
        inits += [
            numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one_f"),
            numpy_helper.from_array(np.asarray(tf_alpha, dtype=np.float32) - np.float32(1.0), "tf_exponent"),
        ]
    if mlp is not None:
        inits += [numpy_helper.from_array(mlp[0].astype(np.float32), "mlp_in"), numpy_helper.from_array(mlp[1].astype(np.float32), "mlp_out")]
    graph = helper.make_graph(
        nodes,
        "codeidx_static",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", dims])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="codeidx-train-static-model")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def reference_forward(q, scale, ids_batch, pos_weight=None, mlp=None, tf_alpha=None):
    """NumPy forward of the exported graph (the ONNX file is checked against it by the TypeScript tests):
    scripts/static-model/static_graph.py's `forward` on the weights `export_onnx` writes."""
    w = {"table": q, "scale": scale, "pos_weight": None if pos_weight is None else pos_weight.astype(np.float32)}
    if tf_alpha is not None:
        w["tf_exponent"] = np.asarray(tf_alpha, dtype=np.float32) - np.float32(1.0)
    if mlp is not None:
        w["mlp_in"], w["mlp_out"] = mlp[0].astype(np.float32), mlp[1].astype(np.float32)
    return forward(w, ids_batch)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", default=".data/pairs")
    ap.add_argument("--out", default="models/codeidx-static")
    ap.add_argument("--dims", type=int, default=256)
    ap.add_argument("--tables", choices=["shared", "separate"], default="shared")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--drop", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-minutes", type=float, default=15.0)
    ap.add_argument("--extra", nargs="*", default=[], help="extra training-only pair files (scripts/mine-pairs.ts --extra), e.g. .data/pairs/extra-go.jsonl")
    ap.add_argument("--lr-decay", action="store_true", help="linear learning-rate decay to 10%% over --epochs")
    ap.add_argument("--evals-per-epoch", type=int, default=1, help="validation checks per epoch (best checkpoint kept)")
    ap.add_argument("--group-by", choices=["none", "unit", "file"], default="none", help="build batches from groups of pairs of one unit/file (in-unit negatives)")
    ap.add_argument("--group-size", type=int, default=32, help="pairs per group with --group-by")
    ap.add_argument("--hard-negs", type=int, default=0, help="add the K most BM25-similar code chunks of the same unit per query as extra negatives (query→code side)")
    ap.add_argument("--select", choices=["global", "unit", "suite"], default="global", help="checkpoint selection: validation MRR against all valid code (global), within each valid unit (unit), or MRR@10 on the dumped validation suite --suite-ids (suite)")
    ap.add_argument("--suite-ids", default=None, help="validation suite dumped by scripts/static-model/dump-suite.ts (e.g. .data/suite-valid.ids.json); its MRR@10 is logged at every check")
    ap.add_argument("--mlp", type=int, default=0, help="hidden size of a residual MLP after pooling (0 = none)")
    ap.add_argument("--pos-weights", action="store_true", help="learn a weight per token position (weighted sum pooling)")
    ap.add_argument("--query-marker", type=int, default=0, help="vocabulary id inserted after [CLS] in every query, e.g. 1 = [unused0] (query/code asymmetry through the shared table)")
    ap.add_argument("--bigrams", type=int, default=0, help="hashed bigram buckets added to the table (0 = none)")
    ap.add_argument("--file-negs", type=int, default=0, help="K same-file negatives per pair from --train-suite-ids (0 = none)")
    ap.add_argument("--mined-negs", type=int, default=0, help="K negatives per pair drawn from the 2K same-file chunks (--train-suite-ids) the current model ranks closest to its query, re-mined at the checks from --mine-from on, not after the last one (0 = none)")
    ap.add_argument("--mine-scope", choices=["file", "unit"], default="file", help="with --mined-negs: mine among the chunks of the pair's own file (default) or of its whole unit (package)")
    ap.add_argument("--mine-from", type=float, default=1.0, help="epoch from which --mined-negs is used (before: in-batch negatives only)")
    ap.add_argument("--train-suite-ids", default=None, help="the train split dumped like the validation suite (mine-pairs.ts --train-suite + dump-suite.ts)")
    ap.add_argument("--tf-sat", type=float, default=None, metavar="ALPHA0", help="sublinear term frequency: a token occurring tf times counts tf^alpha, alpha learned from ALPHA0 in (0, 1), e.g. 0.5")
    ap.add_argument("--tf-sat-per-token", action="store_true", help="with --tf-sat: learn one alpha per vocabulary id instead of one for all")
    ap.add_argument("--idf", action="store_true", help="weight each token by idf(t)^beta of the training code (beta learned from 1; folded into the table at export)")
    ap.add_argument("--loss", choices=["symmetric", "query-to-code"], default="symmetric", help="InfoNCE in both directions (default) or only query → code, the direction search uses")
    ap.add_argument("--average-from", type=float, default=None, metavar="EPOCH", help="also score the average of the weights at the checks from EPOCH on (stochastic weight averaging, Izmailov et al. 2018, arXiv:1803.05407) and keep it if it beats the best single check")
    ap.add_argument("--teacher", nargs="*", default=[], metavar="DIR", help="model directories exported by this script whose mean cosine is distilled into the student (knowledge distillation, Hinton et al. 2015, arXiv:1503.02531): KL(teacher || student) over each query's code columns, the in-batch and the mined ones")
    ap.add_argument("--distill", type=float, default=0.5, metavar="LAMBDA", help="with --teacher: the query → code loss is (1 - LAMBDA)·cross-entropy + LAMBDA·KL (teacher and student at the student's temperature)")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--metrics", default=".data/train-metrics.json")
    args = ap.parse_args()
    global MARKER, BIGRAMS
    MARKER, BIGRAMS = args.query_marker, args.bigrams
    if (MARKER or BIGRAMS) and not args.no_export:
        sys.exit("--query-marker and --bigrams are experiments (see MODEL_CARD.md): run them with --no-export; the ONNX export and the tokenizer do not implement them")
    if args.teacher and not 0.0 <= args.distill <= 1.0:
        sys.exit(f"--distill must lie in [0, 1] (got {args.distill})")
    if args.file_negs and args.mined_negs:
        sys.exit("--file-negs and --mined-negs are alternatives: random or model-mined same-file negatives; pick one")
    if args.mine_scope != "file" and args.mined_negs <= 0:
        sys.exit("--mine-scope chooses where --mined-negs come from; add --mined-negs K (e.g. 16)")
    if (args.file_negs or args.mined_negs) and not args.train_suite_ids:
        sys.exit("--file-negs and --mined-negs need --train-suite-ids (npx tsx scripts/mine-pairs.ts --out DIR --train-suite, then scripts/static-model/dump-suite.ts DIR/suite-train.jsonl --source DIR/train-corpus --out FILE)")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    t0 = time.time()
    tmeta, vmeta = [], []
    tq, tc = load(os.path.join(args.pairs, "train.jsonl"), meta=tmeta)
    for path in args.extra:
        eq, ec = load(path, meta=tmeta)
        print(f"extra {path}: {len(eq)} pairs", flush=True)
        tq += eq
        tc += ec
    vq, vc = load(os.path.join(args.pairs, "valid.jsonl"), meta=vmeta)
    hard = None
    if args.hard_negs > 0:
        th = time.time()
        hard = mine_hard_negatives(tq, tc, tmeta, args.hard_negs)
        print(f"hard negatives: {args.hard_negs} per query, {int((hard >= 0).sum())} mined in {time.time() - th:.0f} s", flush=True)
    fneg = None
    if args.file_negs > 0 or args.mined_negs > 0:
        if args.mine_scope == "unit":  # refused above without --mined-negs
            uchunks, units = unit_mining_index(tmeta, args.train_suite_ids)
            fneg = (uchunks, None, units)
            print(f"unit negatives: {len(units)} units, {sum(len(u[1]) for u in units)} pairs, "
                  f"{sum(len(u[0]) * len(u[1]) for u in units)} candidates", flush=True)
        else:
            fchunks, fcands = file_negatives(tmeta, args.train_suite_ids)
            fneg = (fchunks, fcands, mining_index(fcands) if args.mined_negs > 0 else None)
            print(f"file negatives: {sum(1 for c in fcands if c)} pairs have some, {sum(len(c) for c in fcands)} candidates", flush=True)
    print(f"train {len(tq)} pairs, valid {len(vq)} pairs, loaded in {time.time() - t0:.0f} s", flush=True)
    teacher = None  # --teacher: (query vectors, code vectors, same-file chunk vectors or None) of the ensemble
    if args.teacher:
        if hard is not None:
            sys.exit("--teacher works with in-batch, --file-negs and --mined-negs columns, not --hard-negs")
        tt = time.time()
        members = [load_teacher(p) for p in args.teacher]
        teacher = (teacher_vectors(members, tq), teacher_vectors(members, tc), teacher_vectors(members, fneg[0]) if fneg is not None else None)
        del members
        print(f"teacher: {len(args.teacher)} models, {teacher[0].shape[1]} dims, vectors in {time.time() - tt:.0f} s", flush=True)

    model = Encoder(args.dims, args.tables, args.pos_weights, args.mlp, args.tf_sat, args.tf_sat_per_token)
    if args.idf:
        df = Counter()
        for c in tc:
            df.update(set(c.ids))
        n = len(tc)
        idf = torch.tensor([math.log(1.0 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in range(VOCAB + BIGRAMS)])
        model.log_idf = (idf / idf[idf > 0].mean()).log()  # mean weight 1 over the vocabulary
        model.idf_beta = torch.nn.Parameter(torch.tensor(1.0))
        print(f"idf: {len(df)} ids seen in {n} code texts", flush=True)
    suite = load_suite(args.suite_ids) if args.suite_ids else None
    if args.select == "suite" and suite is None:
        sys.exit("--select suite needs --suite-ids")
    with torch.no_grad():
        for s in SPECIAL:
            model.query[s].zero_()
            model.code[s].zero_()
    # Sparse gradients: a batch touches a few thousand of the 30,522 rows; SparseAdam updates only those.
    tables = [model.query] if args.tables == "shared" else [model.query, model.code]
    opts = [torch.optim.SparseAdam(tables, lr=args.lr), torch.optim.Adam([p for p in (model.log_scale, model.log_pos, model.mlp_in, model.mlp_out, model.tf_logit, model.idf_beta) if p is not None], lr=args.lr)]
    best = (-1.0, 0, None)
    history = []

    def validate():
        """Puts the model in eval mode and scores it: (global MRR, within-unit MRR, suite MRR@10 or
        None, the one --select picks)."""
        model.eval()
        vg = mrr(model, vq, vc)
        vu = unit_mrr(model, vq, vc, vmeta)
        vs = suite_mrr10(model, suite) if suite is not None else None
        return vg, vu, vs, (vu if args.select == "unit" else vs if args.select == "suite" else vg)

    mined = None  # --mined-negs: per pair, its current pool of model-mined same-file negatives
    averaged = None  # --average-from: (sum of the weights at the checks so far, number of checks)
    order = list(range(len(tq)))
    steps_per_epoch = len(order) // args.batch
    check_every = max(1, steps_per_epoch // args.evals_per_epoch)
    total_steps = steps_per_epoch * args.epochs
    step_no = 0
    stop = False
    for epoch in range(1, args.epochs + 1):
        if args.group_by != "none":
            order = grouped_order(tmeta, args.group_by, args.group_size, rng)
        else:
            rng.shuffle(order)
        total, steps = 0.0, 0
        for i in range(0, len(order) - args.batch + 1, args.batch):
            if args.lr_decay:
                for opt in opts:
                    for g in opt.param_groups:
                        g["lr"] = args.lr * (1.0 - 0.9 * step_no / max(total_steps, 1))
            step_no += 1
            idx = order[i:i + args.batch]
            q = model.encode(model.query, [tq[j] for j in idx], args.drop, rng)
            c = model.encode(model.code, [tc[j] for j in idx], args.drop, rng)
            temp = model.log_scale.exp().clamp(max=100.0)
            logits = (q @ c.T) * temp
            labels = torch.arange(len(idx))
            # Extra code columns for the query→code loss, shared by the whole batch like in-batch
            # negatives: K chunks of each query's own file that are not its function (--file-negs), or
            # each query's mined in-unit hard negatives (--hard-negs; one that is itself in the batch
            # stays an in-batch column only), or K of the chunks of its own file the model last ranked
            # closest to it (--mined-negs, none before --mine-from).
            extra, extra_idx = [], []
            if args.mined_negs > 0:
                if mined is not None:
                    for j in idx:
                        cand = mined[j]
                        if cand:
                            extra_idx.extend(rng.sample(cand, min(args.mined_negs, len(cand))))
            elif fneg is not None:
                for j in idx:
                    cand = fneg[1][j]
                    if cand:
                        extra_idx.extend(rng.sample(cand, min(args.file_negs, len(cand))))
            if extra_idx:
                extra = [fneg[0][k] for k in extra_idx]
            elif hard is not None and fneg is None:
                in_batch = set(idx)
                extra = [tc[h] for h in sorted({int(h) for j in idx for h in hard[j] if h >= 0 and int(h) not in in_batch})]
            q2c = logits
            if extra:
                q2c = torch.cat([logits, (q @ model.encode(model.code, extra, args.drop, rng).T) * temp], dim=1)
            loss = F.cross_entropy(q2c, labels)
            if teacher is not None:
                cols = teacher[1][idx]
                if extra_idx:
                    cols = torch.cat([cols, teacher[2][extra_idx]])
                log_p_teacher = F.log_softmax((teacher[0][idx] @ cols.T) * temp.detach(), dim=1)
                kl = F.kl_div(F.log_softmax(q2c, dim=1), log_p_teacher, log_target=True, reduction="batchmean")
                loss = (1.0 - args.distill) * loss + args.distill * kl
            if args.loss == "symmetric":
                loss = (loss + F.cross_entropy(logits.T, labels)) / 2
            for opt in opts:
                opt.zero_grad()
            loss.backward()
            for opt in opts:
                opt.step()
            with torch.no_grad():
                for s in SPECIAL:
                    model.query[s].zero_()
                    model.code[s].zero_()
            total += loss.item()
            steps += 1
            if steps % check_every == 0 or steps == steps_per_epoch:
                at = round(epoch - 1 + steps / steps_per_epoch, 2)
                vg, vu, vs, v = validate()
                model.train()
                history.append({"epoch": at, "loss": round(total / max(steps, 1), 4), "valid_mrr": round(vg, 4), "valid_unit_mrr": round(vu, 4), "valid_suite_mrr10": None if vs is None else round(vs, 4)})
                suite_note = "" if vs is None else f" suite MRR@10 {vs:.4f}"
                tf_note = "" if model.tf_logit is None else f" tf alpha {torch.sigmoid(model.tf_logit).mean().item():.3f}"
                tf_note += "" if model.idf_beta is None else f" idf beta {model.idf_beta.item():.3f}"
                print(f"epoch {at} loss {total / max(steps, 1):.4f} valid MRR {vg:.4f} unit MRR {vu:.4f}{suite_note} scale {model.log_scale.exp().item():.1f}{tf_note} ({time.time() - t0:.0f} s)", flush=True)
                if v > best[0]:
                    best = (v, at, {k: p.detach().clone() for k, p in model.named_parameters()})
                # A mid-epoch check that the end-of-epoch check follows within half an interval is
                # superseded by it: it neither re-mines nor counts in the weight average.
                last = epoch == args.epochs and steps == steps_per_epoch
                superseded = steps != steps_per_epoch and steps_per_epoch - steps < check_every // 2
                if args.average_from is not None and at >= args.average_from - 1e-9 and not superseded:
                    params = {k: p.detach().clone() for k, p in model.named_parameters()}
                    averaged = (params, 1) if averaged is None else ({k: averaged[0][k] + params[k] for k in params}, averaged[1] + 1)
                if (time.time() - t0) / 60 > args.max_minutes:
                    print("time budget reached", flush=True)
                    stop = True
                    break
                # Re-mine for the steps ahead, except after the last check and at a superseded one.
                if args.mined_negs > 0 and at >= args.mine_from - 1e-9 and not last and not superseded:
                    tm = time.time()
                    if args.mine_scope == "unit":
                        mined = mine_by_model_unit(model, tq, fneg[0], fneg[2], 2 * args.mined_negs, len(tq))
                    else:
                        mined = mine_by_model(model, tq, fneg[0], fneg[1], fneg[2], 2 * args.mined_negs)
                    print(f"mined negatives for {sum(1 for m in mined if m)} pairs in {time.time() - tm:.1f} s", flush=True)
        if stop:
            break
    if averaged is not None and averaged[1] > 1:
        mean_params = {k: v / averaged[1] for k, v in averaged[0].items()}
        with torch.no_grad():
            for k, p in model.named_parameters():
                p.copy_(mean_params[k])
        vg, vu, vs, v = validate()
        at = f"average of {averaged[1]} checks from {args.average_from}"
        history.append({"epoch": at, "valid_mrr": round(vg, 4), "valid_unit_mrr": round(vu, 4), "valid_suite_mrr10": None if vs is None else round(vs, 4)})
        print(f"{at}: valid MRR {vg:.4f} unit MRR {vu:.4f}" + ("" if vs is None else f" suite MRR@10 {vs:.4f}"), flush=True)
        if v > best[0]:
            best = (v, at, mean_params)
    print(f"best valid MRR {best[0]:.4f} at epoch {best[1]}", flush=True)
    metrics = {"args": vars(args), "train_pairs": len(tq), "valid_pairs": len(vq), "best_valid_mrr": round(best[0], 4), "best_epoch": best[1], "history": history, "seconds": round(time.time() - t0)}
    os.makedirs(os.path.dirname(args.metrics) or ".", exist_ok=True)
    with open(args.metrics, "w") as f:
        json.dump(metrics, f, indent=2)
    if args.no_export:
        return
    if args.tables != "shared":
        sys.exit("export supports the shared table only (one ONNX graph serves queries and code)")
    table = best[2]["query"]
    if args.idf:  # fold idf^beta into the rows; the int8 check below then runs without it
        table = table * (best[2]["idf_beta"] * model.log_idf).exp()[:, None]
        model.log_idf = None
    q, scale = quantize(table)
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    pos_weight = best[2]["log_pos"].exp().numpy() if args.pos_weights else None
    mlp = (best[2]["mlp_in"].numpy(), best[2]["mlp_out"].numpy()) if args.mlp else None
    tf_alpha = None
    if args.tf_sat is not None:
        tf_alpha = torch.sigmoid(best[2]["tf_logit"]).numpy()
        tf_alpha = tf_alpha if tf_alpha.ndim else float(tf_alpha)
    export_onnx(onnx_path, q, scale, args.dims, pos_weight, mlp, tf_alpha)
    # The int8 table must rank as well as the float one.
    model.query.data.copy_(torch.from_numpy(q.astype(np.float32) * scale[:, None]))
    for name in ("log_pos", "mlp_in", "mlp_out", "log_scale", "tf_logit"):
        if getattr(model, name) is not None:
            getattr(model, name).data.copy_(best[2][name])
    model.eval()
    qmrr = mrr(model, vq, vc)
    qumrr = unit_mrr(model, vq, vc, vmeta)
    print(f"int8 valid MRR {qmrr:.4f} unit MRR {qumrr:.4f}", flush=True)
    with open(onnx_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    # Reference vectors for the runtime test: the first 3 validation queries and the first 2 validation
    # code chunks (which repeat tokens, so --tf-sat's counting is checked too), through the NumPy forward.
    ref_ids = [[101] + v.ids + [102] for v in vq[:3]] + [[101] + c.ids + [102] for c in vc[:2]]
    ref = reference_forward(q, scale, ref_ids, pos_weight, mlp, tf_alpha)
    if suite is not None:
        qsuite = suite_mrr10(model, suite)
        print(f"int8 valid suite MRR@10 {qsuite:.4f}", flush=True)
    else:
        qsuite = None
    # the float metrics of the exported checkpoint, whatever selected it
    chosen = [h for h in history if h["epoch"] == best[1]][-1]
    config = {
        "id": "codeidx-static",
        "revision": digest[:12],
        "dims": args.dims,
        "pooling": "mean",
        "maxTokens": 256,
        "queryPrefix": "",
        "documentPrefix": "",
        "model": "model.onnx",
        "sha256": digest,
        "training": {"command": " ".join(["python3", "scripts/train-static-model.py"] + sys.argv[1:]), "valid_mrr_float": chosen["valid_mrr"], "valid_unit_mrr_float": chosen["valid_unit_mrr"], "valid_suite_mrr10_float": chosen["valid_suite_mrr10"], "valid_mrr_int8": round(qmrr, 4), "valid_unit_mrr_int8": round(qumrr, 4), "valid_suite_mrr10_int8": None if qsuite is None else round(qsuite, 4), "select": args.select, "best_epoch": best[1], "tf_alpha": None if tf_alpha is None else round(float(np.mean(tf_alpha)), 4), "train_pairs": len(tq), "valid_pairs": len(vq), "seed": args.seed},
        "reference": {"input_ids": ref_ids, "first8": [[round(float(x), 6) for x in row[:8]] for row in ref]},
    }
    with open(os.path.join(args.out, "codeidx-model.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    metrics["valid_mrr_int8"] = round(qmrr, 4)
    metrics["valid_unit_mrr_int8"] = round(qumrr, 4)
    metrics["sha256"] = digest
    with open(args.metrics, "w") as f:
        json.dump(metrics, f, indent=2)
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path) / 1e6:.1f} MB, sha256 {digest})", flush=True)
    # Hybrid fusion is tuned on the exported model, so it is not written here (MODEL_CARD.md, "Hybrid fusion").
    print("next: choose the hybrid fusion on both validation sets as MODEL_CARD.md \"Hybrid fusion\" describes, and add it "
          "to codeidx-model.json as \"fusion\"; e.g. npx tsx scripts/codeidx-eval.ts .data/suite-valid.jsonl --source "
          ".data/valid-corpus --model " + args.out + " --mode hybrid --rrf-k 0 1 2 5 10 60 --rrf-weights 1,1 1,0.7 1,0.5 1,0.3 1,0.2 1,0.1",
          flush=True)


if __name__ == "__main__":
    main()
