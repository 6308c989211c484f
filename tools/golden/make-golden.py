#!/usr/bin/env python3
"""Golden values for detection-core's known-answer tests, computed by scikit-learn.

Writes libs/detection-core/test/golden/NAME.json for a few seeded synthetic data sets (made here
with numpy, so the project never copies third-party data): the data, labels, and the reference
implementation's outputs. Re-run after changing a definition, then review the diff:

    apt-get install python3-sklearn      # Debian's scikit-learn 1.2, numpy 1.24, scipy 1.10
    /usr/bin/python3 tools/golden/make-golden.py

Definitions (the same as ../shared/reference/sklearn_reference.py where they overlap):
- knn5_{largest,mean,median}: NearestNeighbors(5).kneighbors(None) distances (self excluded);
  *_novel: kneighbors(X_test) against the training rows.
- lof20: -LocalOutlierFactor(20).negative_outlier_factor_; lof20_novel: novelty=True,
  -score_samples(X_test).
- pca: StandardScaler -> PCA(svd_solver="full"), smallest k with cumulative explained variance
  >= 0.95 clipped to [1, d-1], squared reconstruction error of the standardized row.
- mcd: MinCovDet(random_state=0).fit(X).mahalanobis(X) (squared robust Mahalanobis distances).
- iforest_c: scikit-learn's _average_path_length for n = 1..600.
- metrics: roc_auc_score and average_precision_score on tied scores.
"""
import json
import os
import sys

import numpy as np
import scipy
import sklearn
from sklearn.covariance import MinCovDet
from sklearn.decomposition import PCA
from sklearn.ensemble._iforest import _average_path_length
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.neighbors import LocalOutlierFactor, NearestNeighbors
from sklearn.preprocessing import StandardScaler

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "libs",
                   "detection-core", "test", "golden")


def blobs(rng, n_in, n_out, d, k=3, spread=1.0):
    centers = rng.uniform(-4, 4, size=(k, d))
    Xi = centers[np.arange(n_in) % k] + spread * rng.standard_normal((n_in, d))
    Xo = rng.uniform(-10, 10, size=(n_out, d))
    X = np.vstack([Xi, Xo])
    y = np.r_[np.zeros(n_in, int), np.ones(n_out, int)]
    p = rng.permutation(len(X))
    return X[p], y[p]


def datasets():
    rng = np.random.default_rng(20261126)
    X, y = blobs(rng, 285, 15, 4)
    yield "blobs", X, y
    # Integer grid values: many exact ties and duplicate rows (tie handling of neighbours, ranks).
    Xt, yt = blobs(rng, 190, 10, 3)
    yield "ties", np.round(Xt), yt
    # Wide data: 30 features (the blocked brute-force neighbour path).
    Xw, yw = blobs(rng, 112, 8, 30)
    yield "wide", Xw, yw
    # A constant column must never produce NaN scores.
    Xc, yc = blobs(rng, 142, 8, 5)
    Xc[:, 2] = 3.5
    yield "constant", Xc, yc


def knn_scores(X_fit, X_query, k):
    nn = NearestNeighbors(n_neighbors=k).fit(X_fit)
    dist, _ = nn.kneighbors(X_query, n_neighbors=k) if X_query is not None else nn.kneighbors(None, n_neighbors=k)
    return {"largest": dist[:, -1], "mean": dist.mean(axis=1), "median": np.median(dist, axis=1)}


def pca_scores(X, var=0.95):
    d = X.shape[1]
    sc = StandardScaler().fit(X)
    Z = sc.transform(X)
    full = PCA(svd_solver="full").fit(Z)
    k = int(np.searchsorted(np.cumsum(full.explained_variance_ratio_), var) + 1)
    k = max(1, min(k, d - 1))
    comps = full.components_[:k]
    Zc = Z - full.mean_
    R = Zc - (Zc @ comps.T) @ comps
    return np.einsum("ij,ij->i", R, R), k


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = {"sklearn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
            "script": "tools/golden/make-golden.py"}
    for name, X, y in datasets():
        n = len(X)
        split = int(n * 0.8)
        Xtr, Xte = X[:split], X[split:]
        out = {"meta": meta, "X": X.tolist(), "y": y.tolist(), "trainRows": split}
        for how, s in knn_scores(X, None, 5).items():
            out[f"knn5_{how}"] = s.tolist()
        for how, s in knn_scores(Xtr, Xte, 5).items():
            out[f"knn5_{how}_novel"] = s.tolist()
        out["lof20"] = (-LocalOutlierFactor(n_neighbors=20).fit(X).negative_outlier_factor_).tolist()
        lof_n = LocalOutlierFactor(n_neighbors=20, novelty=True).fit(Xtr)
        out["lof20_novel"] = (-lof_n.score_samples(Xte)).tolist()
        s, k = pca_scores(X)
        out["pca"] = s.tolist()
        out["pca_components"] = k
        if np.linalg.matrix_rank(np.cov(X.T)) == X.shape[1]:
            out["mcd"] = MinCovDet(random_state=0).fit(X).mahalanobis(X).tolist()
        with open(os.path.join(OUT, f"{name}.json"), "w") as fh:
            json.dump(out, fh)
        print(f"{name}: {X.shape}", file=sys.stderr)

    rng = np.random.default_rng(7)
    labels = (rng.uniform(size=400) < 0.2).astype(int)
    scores = np.round(rng.standard_normal(400) + labels, 1)  # rounding makes many ties
    extra = {
        "meta": meta,
        "iforest_c": _average_path_length(np.arange(1, 601)).tolist(),
        "labels": labels.tolist(),
        "scores": scores.tolist(),
        "rocAuc": roc_auc_score(labels, scores),
        "averagePrecision": average_precision_score(labels, scores),
    }
    with open(os.path.join(OUT, "misc.json"), "w") as fh:
        json.dump(extra, fh)
    print("misc", file=sys.stderr)


if __name__ == "__main__":
    main()
