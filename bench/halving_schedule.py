"""Prints the rungs scikit-learn's successive halving runs (n_candidates, n_resources per iteration)
for the inputs the unit test `rungs_match_scikit_learn` uses (src/spec/search.rs).

Run: .peer/bin/python bench/halving_schedule.py
"""
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import HalvingGridSearchCV, KFold

warnings.filterwarnings("ignore")


class Constant(ClassifierMixin, BaseEstimator):
    """A classifier that costs nothing, with a parameter to make candidates and one to be the resource."""

    def __init__(self, p=0, budget=1):
        self.p = p
        self.budget = budget

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def rungs(n_candidates, factor, min_resources, max_resources, rows, classes=2, resource="n_samples"):
    X = np.zeros((rows, 1))
    y = np.arange(rows) % classes
    search = HalvingGridSearchCV(
        Constant(),
        {"p": list(range(n_candidates))},
        factor=factor,
        resource=resource,
        min_resources=min_resources,
        max_resources=max_resources,
        cv=KFold(5),
    ).fit(X, y)
    return list(zip(search.n_candidates_, search.n_resources_))


print("24 cands, factor 3, exhaust, 455 rows:", rungs(24, 3, "exhaust", "auto", 455))
print("24 cands, factor 3, smallest, 455 rows:", rungs(24, 3, "smallest", "auto", 455))
print("243 cands, factor 3, exhaust, min 1, max 1000 (budget):", rungs(243, 3, "exhaust", 1000, 50, resource="budget"))
print("40 cands, factor 2, min 10, max 50 (budget):", rungs(40, 2, 10, 50, 50, resource="budget"))
print("1 cand, factor 3, exhaust, 455 rows:", rungs(1, 3, "exhaust", "auto", 455))
print("57 cands, factor 3, exhaust, 455 rows (breast_cancer after a 20% test split):", rungs(57, 3, "exhaust", "auto", 455))
