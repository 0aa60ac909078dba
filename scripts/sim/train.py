#!/usr/bin/env python3
"""Trains the embedded risk model on featurized simulated logins.

Input: the JSON lines written by featurize.js (feature vector `x`, `label`,
`split`). Only the train split is used. Output: an ONNX model (sklearn MLP,
converted by skl2onnx with ZipMap off so the second output is a plain
[N, 2] probability tensor) and a parity fixture: fixed inputs and the
onnxruntime outputs that tract must reproduce within 1e-5.
"""

import argparse
import json
import random

import numpy as np
import onnx
import onnx.utils
import onnxruntime as ort
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.neural_network import MLPClassifier

FEATURES = 16


def load(path, split):
    xs, ys, kinds = [], [], []
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r["split"] == split:
                xs.append(r["x"])
                ys.append(r["label"])
                kinds.append(r["kind"])
    return np.asarray(xs, dtype=np.float32), np.asarray(ys), kinds


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("features")
    ap.add_argument("--model", required=True)
    ap.add_argument("--parity", required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--attack-weight", type=int, default=8,
                    help="times each attack is repeated in training (attacks are rare)")
    args = ap.parse_args()

    x, y, _ = load(args.features, "train")
    assert x.shape[1] == FEATURES, x.shape
    attacks = np.where(y == 1)[0]
    idx = np.concatenate([np.arange(len(y))] + [attacks] * (args.attack_weight - 1))
    rng = np.random.default_rng(args.seed)
    rng.shuffle(idx)
    clf = MLPClassifier(hidden_layer_sizes=(16,), activation="relu", alpha=1e-3, max_iter=300,
                        early_stopping=True, random_state=args.seed)
    clf.fit(x[idx], y[idx])

    onx = convert_sklearn(clf, initial_types=[("features", FloatTensorType([None, FEATURES]))],
                          options={id(clf): {"zipmap": False}}, target_opset=13)
    with open(args.model, "wb") as f:
        f.write(onx.SerializeToString())
    # Ship only the probability head: the label head (ArgMax, ai.onnx.ml
    # ArrayFeatureExtractor) is unused and would pull more ops into tract.
    onnx.utils.extract_model(args.model, args.model, ["features"], ["probabilities"])

    # Parity: rows from the data (every attack kind and ordinary logins) plus
    # edge vectors, scored by onnxruntime; tract must agree within 1e-5.
    sess = ort.InferenceSession(args.model)
    random.seed(args.seed)
    picks = random.sample(range(len(x)), 48) + list(attacks[:16])
    rows = [x[i].tolist() for i in picks] + [[0.0] * FEATURES, [1.0] * FEATURES]
    probs = sess.run(None, {"features": np.asarray(rows, dtype=np.float32)})[0][:, 1]
    with open(args.parity, "w") as f:
        json.dump({"inputs": rows, "outputs": [float(p) for p in probs]}, f)
    print(json.dumps({"train_rows": int(len(y)), "train_attacks": int(len(attacks)),
                      "iterations": int(clf.n_iter_), "outputs": [o.name for o in sess.get_outputs()]}))


if __name__ == "__main__":
    main()
