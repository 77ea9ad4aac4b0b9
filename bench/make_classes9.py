"""Writes data/classes9.csv: a 9-class table shaped like the storm tables users bring (numbers with
missing cells, text columns one-hot encoding widens, a yes/no flag), whose classes follow a
multinomial logistic model with noise, so that how close a solver gets to the optimum shows in the
score. Deterministic: run .peer/bin/python bench/make_classes9.py to rewrite the same file."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(9)
n = 4000
basins = np.array(["atlantic", "east_pacific", "west_pacific", "indian", "south", "central"])
systems = np.array([f"sys_{c}" for c in "abcdefghijkl"])
frame = pd.DataFrame({
    "wind": rng.gamma(4.0, 12.0, n).round(1),
    "pressure": (1010 - rng.gamma(3.0, 9.0, n)).round(0),
    "lat": rng.uniform(-35, 45, n).round(2),
    "long": rng.uniform(-180, 180, n).round(2),
    "month": rng.integers(1, 13, n),
    "basin": basins[rng.integers(0, len(basins), n)],
    "system": systems[rng.integers(0, len(systems), n)],
    "landfall": np.where(rng.random(n) < 0.3, "yes", "no"),
})
numbers = frame[["wind", "pressure", "lat", "long", "month"]].to_numpy(float)
numbers = (numbers - numbers.mean(0)) / numbers.std(0)
codes = np.hstack([
    (frame["basin"].to_numpy()[:, None] == basins).astype(float),
    (frame["system"].to_numpy()[:, None] == systems).astype(float),
    (frame["landfall"].to_numpy()[:, None] == "yes").astype(float),
])
x = np.hstack([numbers, numbers ** 2, codes])
weights = rng.normal(0, 1.2, (x.shape[1], 9))
scores = x @ weights + rng.gumbel(0, 1.0, (n, 9))
labels = np.array([f"class_{k}" for k in "abcdefghi"])
frame["category"] = labels[scores.argmax(1)]
frame.loc[rng.random(n) < 0.05, "pressure"] = np.nan
frame.loc[rng.random(n) < 0.03, "system"] = np.nan
frame.to_csv("data/classes9.csv", index=False)
print(frame["category"].value_counts().sort_index().to_dict())
