"""Writes data/credit_leak.csv: a table shaped like the public credit-card application table
(AER::CreditCard) with its textbook leak. Whether an application was accepted (`card`) follows the
applicant's reports, income and history with noise, but `expenditure` (monthly card spending) and
`share` (spending over income) are only known once a card exists: they are zero for every refused
applicant and for few accepted ones, so `expenditure > 0` alone gives the class of ~98% of rows
against a base rate of ~78%. Deterministic: run .peer/bin/python bench/make_credit_leak.py to
rewrite the same file."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(1319)
n = 600
reports = rng.poisson(0.45, n)
age = rng.uniform(18, 80, n).round(2)
income = rng.gamma(4.0, 0.85, n).round(4) + 0.2
owner = np.where(rng.random(n) < 0.44, "yes", "no")
selfemp = np.where(rng.random(n) < 0.07, "yes", "no")
dependents = rng.poisson(1.0, n)
months = rng.integers(0, 540, n)
majorcards = (rng.random(n) < 0.82).astype(int)
active = rng.poisson(7.0, n)
logit = 2.4 - 1.9 * reports + 0.25 * (income - 3.4) + 0.35 * majorcards + rng.logistic(0, 0.9, n)
card = np.where(logit > 0, "yes", "no")
spends = (card == "yes") & (rng.random(n) > 0.02)
expenditure = np.where(spends, rng.gamma(1.3, 180.0, n), 0.0).round(4)
share = (expenditure / (income * 10000 / 12) + 0.0001 * rng.random(n)).round(6)
pd.DataFrame({
    "card": card, "reports": reports, "age": age, "income": income, "share": share,
    "expenditure": expenditure, "owner": owner, "selfemp": selfemp, "dependents": dependents,
    "months": months, "majorcards": majorcards, "active": active,
}).to_csv("data/credit_leak.csv", index=False)
print((card == "yes").mean(), ((expenditure > 0) == (card == "yes")).mean())
