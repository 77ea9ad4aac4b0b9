//! One boosting tree grown leaf-wise (best first, as scikit-learn's HistGradientBoosting and
//! LightGBM): every leaf that can split holds its best split from per-bin gradient sums; the leaf with
//! the largest gain splits next until `max_leaf_nodes`. The larger child's histogram is the parent's
//! minus the smaller child's. Each split learns where missing cells go: the side that gains more, or
//! (when the node had none) the side with more rows.

use super::bins::{Binned, MISSING};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// scikit-learn's `min_hessian_to_split`.
const MIN_HESSIAN: f64 = 1e-3;

/// Growth limits and regularisation of one tree.
#[derive(Debug, Clone, Copy)]
pub struct Growth {
    pub max_leaf_nodes: Option<usize>,
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    pub l2_regularization: f64,
    pub learning_rate: f64,
}

/// A node: a split (`left` > 0) or a leaf with its value (already shrunk by the learning rate).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub feature: u32,
    /// Go left when the value is at most this.
    pub threshold: f64,
    pub missing_left: bool,
    pub left: u32,
    pub right: u32,
    pub value: f64,
    /// Gain of the split (0 for a leaf), for split-gain feature importance.
    pub gain: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

impl Tree {
    pub fn value(&self, row: ndarray::ArrayView1<f64>) -> f64 {
        let mut at = 0;
        loop {
            let node = &self.nodes[at];
            if node.left == 0 {
                return node.value;
            }
            let x = row[node.feature as usize];
            let left = if x.is_nan() {
                node.missing_left
            } else {
                x <= node.threshold
            };
            at = if left { node.left } else { node.right } as usize;
        }
    }
}

/// Where each feature's bins sit in a histogram: its first slot and value bins, then one slot for
/// missing cells (bin code [`MISSING`]).
struct Layout {
    features: Vec<(usize, usize)>,
    size: usize,
}

impl Layout {
    fn of(binned: &Binned) -> Layout {
        let mut size = 0;
        let features = binned
            .thresholds
            .iter()
            .map(|t| {
                let at = (size, t.len() + 1);
                size += t.len() + 2;
                at
            })
            .collect();
        Layout { features, size }
    }
}

/// Per feature and bin: summed gradient, summed hessian and row count.
#[derive(Clone)]
struct Histogram {
    sums: Vec<[f64; 2]>,
    counts: Vec<u32>,
}

impl Histogram {
    fn build(
        binned: &Binned,
        layout: &Layout,
        rows: &[u32],
        gradients: &[f64],
        hessians: &[f64],
    ) -> Histogram {
        let mut sums = vec![[0.0; 2]; layout.size];
        let mut counts = vec![0u32; layout.size];
        for (f, codes) in binned.codes.iter().enumerate() {
            let (start, bins) = layout.features[f];
            let (sums, counts) = (
                &mut sums[start..start + bins + 1],
                &mut counts[start..start + bins + 1],
            );
            for &r in rows {
                let b = (codes[r as usize] as usize).min(bins);
                sums[b][0] += gradients[r as usize];
                sums[b][1] += hessians[r as usize];
                counts[b] += 1;
            }
        }
        Histogram { sums, counts }
    }

    /// `self - smaller`: the sibling's histogram without reading its rows.
    fn minus(&self, smaller: &Histogram) -> Histogram {
        Histogram {
            sums: self
                .sums
                .iter()
                .zip(&smaller.sums)
                .map(|(a, b)| [a[0] - b[0], a[1] - b[1]])
                .collect(),
            counts: self
                .counts
                .iter()
                .zip(&smaller.counts)
                .map(|(a, b)| a - b)
                .collect(),
        }
    }
}

/// A leaf's best split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    pub feature: usize,
    /// Value bins 0..=bin go left.
    pub bin: u8,
    pub missing_left: bool,
    pub gain: f64,
}

/// Summed gradient, hessian and rows of a node.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    g: f64,
    h: f64,
    n: u32,
}

fn score(g: f64, h: f64, l2: f64) -> f64 {
    g * g / (h + l2)
}

/// The best split of a node from its histogram; `None` when no split leaves `min_samples_leaf` rows
/// and enough hessian on each side with a positive gain.
fn best_split(hist: &Histogram, totals: Totals, layout: &Layout, growth: &Growth) -> Option<Split> {
    let l2 = growth.l2_regularization;
    let parent = score(totals.g, totals.h, l2);
    let min_leaf = growth.min_samples_leaf.max(1) as u32;
    let mut best: Option<Split> = None;
    for (f, &(start, bins)) in layout.features.iter().enumerate() {
        let sums = &hist.sums[start..start + bins + 1];
        let counts = &hist.counts[start..start + bins + 1];
        let missing = Totals {
            g: sums[bins][0],
            h: sums[bins][1],
            n: counts[bins],
        };
        // Missing cells right, then (when there are any) left.
        let directions: &[bool] = if missing.n > 0 {
            &[false, true]
        } else {
            &[false]
        };
        for &missing_left in directions {
            let mut left = if missing_left {
                missing
            } else {
                Totals::default()
            };
            for b in 0..bins.saturating_sub(1) {
                left.g += sums[b][0];
                left.h += sums[b][1];
                left.n += counts[b];
                let right = Totals {
                    g: totals.g - left.g,
                    h: totals.h - left.h,
                    n: totals.n - left.n,
                };
                if left.n < min_leaf || right.n < min_leaf {
                    continue;
                }
                if left.h < MIN_HESSIAN || right.h < MIN_HESSIAN {
                    continue;
                }
                let gain = score(left.g, left.h, l2) + score(right.g, right.h, l2) - parent;
                if gain > 0.0 && best.is_none_or(|s| gain > s.gain) {
                    // A node without missing cells sends them where most rows went.
                    let missing_left = if missing.n > 0 {
                        missing_left
                    } else {
                        left.n >= right.n
                    };
                    best = Some(Split {
                        feature: f,
                        bin: b as u8,
                        missing_left,
                        gain,
                    });
                }
            }
        }
    }
    best
}

/// A leaf waiting to be split, ordered by gain (then by age, for determinism).
struct Candidate {
    split: Split,
    node: usize,
    rows: Vec<u32>,
    hist: Histogram,
    depth: usize,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.split
            .gain
            .total_cmp(&other.split.gain)
            .then(other.node.cmp(&self.node))
    }
}

/// A grown tree and, per leaf, the training rows that reached it.
pub struct Grown {
    pub tree: Tree,
    pub leaves: Vec<(usize, Vec<u32>)>,
}

/// Grows one tree on `rows` (training rows with their gradients and hessians).
pub fn grow(
    binned: &Binned,
    rows: Vec<u32>,
    gradients: &[f64],
    hessians: &[f64],
    growth: &Growth,
) -> Grown {
    let layout = Layout::of(binned);
    let leaf_value = |t: Totals| -growth.learning_rate * t.g / (t.h + growth.l2_regularization);
    let totals_of = |rows: &[u32]| {
        rows.iter().fold(Totals::default(), |t, &r| Totals {
            g: t.g + gradients[r as usize],
            h: t.h + hessians[r as usize],
            n: t.n + 1,
        })
    };
    let root_totals = totals_of(&rows);
    let mut nodes = vec![Node {
        feature: 0,
        threshold: 0.0,
        missing_left: false,
        left: 0,
        right: 0,
        value: leaf_value(root_totals),
        gain: 0.0,
    }];
    let may_split = |n: u32, depth: usize| {
        n as usize >= 2 * growth.min_samples_leaf.max(1)
            && growth.max_depth.is_none_or(|d| depth < d)
    };
    let mut heap = BinaryHeap::new();
    let mut finished: Vec<(usize, Vec<u32>)> = Vec::new();
    // A node joins the queue with its best split, or is a finished leaf.
    let settle = |heap: &mut BinaryHeap<Candidate>,
                  finished: &mut Vec<(usize, Vec<u32>)>,
                  node,
                  rows: Vec<u32>,
                  hist: Option<Histogram>,
                  totals: Totals,
                  depth| {
        let split = hist
            .as_ref()
            .filter(|_| may_split(totals.n, depth))
            .and_then(|h| best_split(h, totals, &layout, growth));
        match (split, hist) {
            (Some(split), Some(hist)) => heap.push(Candidate {
                split,
                node,
                rows,
                hist,
                depth,
            }),
            _ => finished.push((node, rows)),
        }
    };
    let root_hist = Histogram::build(binned, &layout, &rows, gradients, hessians);
    settle(
        &mut heap,
        &mut finished,
        0,
        rows,
        Some(root_hist),
        root_totals,
        0,
    );
    let mut leaves = 1;
    while let Some(c) = heap.pop() {
        if growth.max_leaf_nodes.is_some_and(|m| leaves >= m) {
            finished.push((c.node, c.rows));
            break;
        }
        let Split {
            feature,
            bin,
            missing_left,
            gain,
        } = c.split;
        let codes = &binned.codes[feature];
        let (left_rows, right_rows): (Vec<u32>, Vec<u32>) = c.rows.iter().partition(|&&r| {
            let code = codes[r as usize];
            if code == MISSING {
                missing_left
            } else {
                code <= bin
            }
        });
        let (left_totals, right_totals) = (totals_of(&left_rows), totals_of(&right_rows));
        // Children that cannot split need no histogram.
        let depth = c.depth + 1;
        let (left_hist, right_hist) =
            if !may_split(left_totals.n, depth) && !may_split(right_totals.n, depth) {
                (None, None)
            } else if left_rows.len() <= right_rows.len() {
                let small = Histogram::build(binned, &layout, &left_rows, gradients, hessians);
                let large = c.hist.minus(&small);
                (Some(small), Some(large))
            } else {
                let small = Histogram::build(binned, &layout, &right_rows, gradients, hessians);
                let large = c.hist.minus(&small);
                (Some(large), Some(small))
            };
        let (left, right) = (nodes.len(), nodes.len() + 1);
        for totals in [left_totals, right_totals] {
            nodes.push(Node {
                feature: 0,
                threshold: 0.0,
                missing_left: false,
                left: 0,
                right: 0,
                value: leaf_value(totals),
                gain: 0.0,
            });
        }
        nodes[c.node] = Node {
            feature: feature as u32,
            threshold: binned.thresholds[feature][bin as usize],
            missing_left,
            left: left as u32,
            right: right as u32,
            value: nodes[c.node].value,
            gain,
        };
        leaves += 1;
        let queue = &mut heap;
        settle(
            queue,
            &mut finished,
            left,
            left_rows,
            left_hist,
            left_totals,
            depth,
        );
        settle(
            queue,
            &mut finished,
            right,
            right_rows,
            right_hist,
            right_totals,
            depth,
        );
    }
    finished.extend(heap.into_iter().map(|c| (c.node, c.rows)));
    Grown {
        tree: Tree { nodes },
        leaves: finished,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROWTH: Growth = Growth {
        max_leaf_nodes: Some(31),
        max_depth: None,
        min_samples_leaf: 1,
        l2_regularization: 0.0,
        learning_rate: 1.0,
    };

    /// A one-feature histogram with value bins `g`, `h`, `n` and the missing slot last.
    fn histogram(g: &[f64], h: &[f64], n: &[u32], missing: (f64, f64, u32)) -> (Histogram, Layout) {
        let mut sums: Vec<[f64; 2]> = g.iter().zip(h).map(|(&g, &h)| [g, h]).collect();
        let mut counts = n.to_vec();
        sums.push([missing.0, missing.1]);
        counts.push(missing.2);
        let layout = Layout {
            features: vec![(0, g.len())],
            size: g.len() + 1,
        };
        (Histogram { sums, counts }, layout)
    }

    fn totals(hist: &Histogram) -> Totals {
        Totals {
            g: hist.sums.iter().map(|s| s[0]).sum(),
            h: hist.sums.iter().map(|s| s[1]).sum(),
            n: hist.counts.iter().sum(),
        }
    }

    /// Bins 0-1 pull one way and bins 2-3 the other: the split is after bin 1, with gain
    /// (-4)^2/4 + 4^2/4 - 0 = 8.
    #[test]
    fn a_split_on_a_hand_made_histogram() {
        let (hist, layout) = histogram(
            &[-2.0, -2.0, 2.0, 2.0],
            &[2.0, 2.0, 2.0, 2.0],
            &[2, 2, 2, 2],
            (0.0, 0.0, 0),
        );
        let split = best_split(&hist, totals(&hist), &layout, &GROWTH).unwrap();
        assert_eq!((split.bin, split.gain), (1, 8.0));
        let strict = Growth {
            min_samples_leaf: 5,
            ..GROWTH
        };
        assert_eq!(
            best_split(&hist, totals(&hist), &layout, &strict),
            None,
            "2 rows a side is too few"
        );
    }

    /// Missing cells whose gradients look like the right side's are sent right, and left when they
    /// look like the left's.
    #[test]
    fn missing_values_go_to_the_better_side() {
        for (missing_g, left) in [(3.0, false), (-3.0, true)] {
            let (hist, layout) = histogram(&[-2.0, 2.0], &[2.0, 2.0], &[2, 2], (missing_g, 2.0, 2));
            let split = best_split(&hist, totals(&hist), &layout, &GROWTH).unwrap();
            assert_eq!(
                (split.bin, split.missing_left),
                (0, left),
                "missing gradient {missing_g}"
            );
        }
        // None missing in training: they follow the larger side.
        let (hist, layout) = histogram(&[-2.0, 2.0], &[2.0, 6.0], &[2, 6], (0.0, 0.0, 0));
        let split = best_split(&hist, totals(&hist), &layout, &GROWTH).unwrap();
        assert!(!split.missing_left);
    }
}
