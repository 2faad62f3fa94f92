"""Compares training recipes over several runs each (seeds), on several question sets, from the JSON of
`codeidx eval --json --per-query`.

    python3 scripts/static-model/compare-recipes.py \\
      --set docstrings=/tmp/r/doc.json --set fastify=/tmp/r/fastify.json \\
      --recipe single=models/codeidx-static,/tmp/cand/s7 --recipe pair=/tmp/cand/AB-256,/tmp/cand/AC-256 \\
      --baseline single

A run is found in a set's JSON by the revision in its model directory's codeidx-model.json (and the mode,
`--mode`, default semantic). A query's reciprocal rank is 1/rank for a relevant hit in the top 10, else 0
(MRR@10, as the eval computes it). For each recipe and set: the mean MRR@10 over its runs; the recipe's
score is the mean of those over the sets (each set weighs the same, whatever its number of queries).
Against `--baseline`, per set, each query's reciprocal rank is first averaged over the runs of each recipe,
and the standard error of the mean per-query difference is sd/√n; the score's paired standard error is
(1/S)·√(Σ SE²) over the S sets. This SE counts the questions' sampling noise only: the spread between the
runs of one recipe (seed noise) is printed beside it, as the range of the runs' scores. Exits with a message
if a run is missing from a set or a set's queries differ between runs.

Prints a table; `--json FILE` writes the same numbers.
"""
import argparse
import json
import math
import os
import statistics
import sys
from statistics import fmean as mean


def reciprocal_ranks(run):
    """Per-query reciprocal rank at cut-off 10 of one eval run (`perQuery[].rank`: 1-based, 0 or null if
    no relevant hit was ranked)."""
    return [1.0 / q["rank"] if q.get("rank") and q["rank"] <= 10 else 0.0 for q in run["perQuery"]]


def revision_of(model_dir):
    """The `revision` of a model directory's codeidx-model.json."""
    path = os.path.join(model_dir, "codeidx-model.json")
    try:
        with open(path) as f:
            return json.load(f)["revision"]
    except (OSError, KeyError, json.JSONDecodeError) as e:
        sys.exit(f"error: cannot read the revision of {model_dir} ({path}: {e})")


def load_eval(path):
    """The JSON of one `codeidx eval --json --per-query` run; exits with a message if it cannot be read or
    has no `runs`."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        sys.exit(f"error: cannot read the eval JSON {path}: {e}")
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
        sys.exit(f"error: {path} is not the JSON of `codeidx eval --json --per-query` (no runs)")
    return data


def se_of_mean(xs):
    """Standard error of the mean of `xs` (sample sd / √n; 0 for fewer than two values)."""
    return statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) >= 2 else 0.0


def parse_pairs(values, flag):
    out = {}
    for v in values:
        name, sep, rest = v.partition("=")
        if not sep or not name or not rest:
            sys.exit(f"error: {flag} wants NAME=VALUE, got {v!r}")
        out[name] = rest
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", action="append", required=True, help="NAME=eval.json (codeidx eval --json --per-query)")
    ap.add_argument("--recipe", action="append", required=True, help="NAME=MODEL_DIR,MODEL_DIR,... (the runs of one recipe)")
    ap.add_argument("--baseline", required=True, help="the recipe the others are compared with")
    ap.add_argument("--mode", default="semantic")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()
    sets = {name: load_eval(path) for name, path in parse_pairs(args.set, "--set").items()}
    recipes = {name: [d for d in dirs.split(",") if d] for name, dirs in parse_pairs(args.recipe, "--recipe").items()}
    if args.baseline not in recipes:
        sys.exit(f"error: --baseline {args.baseline} is not one of the recipes ({', '.join(recipes)})")

    # rr[recipe][set] = list over runs of per-query reciprocal ranks
    rr, run_scores = {}, {}
    for recipe, dirs in recipes.items():
        for d in dirs:
            rev = revision_of(d)
            for set_name, data in sets.items():
                runs = [r for r in data["runs"] if r.get("revision") == rev and r.get("mode") == args.mode]
                if not runs:
                    sys.exit(f"error: no {args.mode} run of {d} (revision {rev}) in the {set_name} set's JSON")
                if not isinstance(runs[0].get("perQuery"), list):
                    sys.exit(f"error: the {set_name} set's JSON has no per-query ranks; run codeidx eval with --per-query")
                ranks = reciprocal_ranks(runs[0])
                rr.setdefault(recipe, {}).setdefault(set_name, []).append(ranks)
                run_scores.setdefault(recipe, {}).setdefault(d, {})[set_name] = mean(ranks)
    for set_name in sets:
        lengths = {len(r) for recipe in rr for r in rr[recipe][set_name]}
        if len(lengths) != 1:
            sys.exit(f"error: the runs of the {set_name} set have different numbers of queries ({sorted(lengths)})")

    def per_query(recipe, set_name):
        runs = rr[recipe][set_name]
        return [mean(col) for col in zip(*runs)]

    result = {"sets": list(sets), "baseline": args.baseline, "mode": args.mode, "recipes": {}}
    base = {s: per_query(args.baseline, s) for s in sets}
    names = list(sets)
    print(f"{'recipe / run':34} " + " ".join(f"{s:>11}" for s in names) + "       mean   vs baseline ± paired SE")
    for recipe in recipes:
        for d, scores in run_scores[recipe].items():
            print(f"  {os.path.basename(d.rstrip('/')) or d:32} " + " ".join(f"{scores[s]:11.4f}" for s in names)
                  + f"   {mean([scores[s] for s in names]):.4f}")
        per_set = {s: mean(per_query(recipe, s)) for s in names}
        score = mean(list(per_set.values()))
        diffs = {s: [a - b for a, b in zip(per_query(recipe, s), base[s])] for s in names}
        gain = mean([mean(diffs[s]) for s in names])
        se = math.sqrt(sum(se_of_mean(diffs[s]) ** 2 for s in names)) / len(names)
        run_means = [mean([sc[s] for s in names]) for sc in run_scores[recipe].values()]
        line = f"{recipe + ' (mean of ' + str(len(recipes[recipe])) + ')':34} " + " ".join(f"{per_set[s]:11.4f}" for s in names)
        line += f"   {score:.4f}"
        if recipe != args.baseline:
            line += f"   {gain:+.4f} ± {se:.4f}  (" + ", ".join(f"{s} {mean(diffs[s]):+.3f}±{se_of_mean(diffs[s]):.3f}" for s in names) + ")"
        line += f"   runs {min(run_means):.4f}–{max(run_means):.4f}"
        print(line)
        result["recipes"][recipe] = {
            "runs": run_scores[recipe],
            "perSet": per_set,
            "score": score,
            "runRange": [min(run_means), max(run_means)],
            **({} if recipe == args.baseline else {
                "gain": gain,
                "pairedSE": se,
                "perSetGain": {s: {"gain": mean(diffs[s]), "se": se_of_mean(diffs[s])} for s in names},
            }),
        }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
