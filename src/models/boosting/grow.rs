//! One boosting tree grown leaf-wise (best first, as scikit-learn's HistGradientBoosting and
//! LightGBM): every leaf that can split holds its best split from per-bin gradient sums; the leaf with
//! the largest gain splits next until `max_leaf_nodes`. The larger child's histogram is the parent's
//! minus the smaller child's. Each split learns where missing cells go: the side that gains more, or
//! (when the node had none) the side with more rows. A category column splits on a set of levels:
//! levels ordered by gradient over hessian, the best prefix from either end goes left (scikit-learn's
//! and LightGBM's rule, missing cells one more level).

use super::bins::{Binned, MISSING};
use crate::models::pool_work::helping;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::OnceLock;

/// scikit-learn's `min_hessian_to_split`.
const MIN_HESSIAN: f64 = 1e-3;

/// Hessian a level needs to take part in a category split, and the smoothing of its ordering
/// (scikit-learn's `MIN_CAT_SUPPORT`, LightGBM's `cat_smooth`).
const MIN_CAT_SUPPORT: f64 = 10.0;

/// Rows x features above which a histogram is built on several threads (smaller ones cost less
/// than starting a thread).
const PARALLEL_CELLS: usize = 1 << 19;

/// Boosting fits running in this process now.
static FITTING: AtomicUsize = AtomicUsize::new(0);

/// Counts a boosting fit as running while it lives.
pub struct Fitting;

impl Fitting {
    pub fn start() -> Fitting {
        FITTING.fetch_add(1, AtomicOrdering::Relaxed);
        Fitting
    }
}

impl Drop for Fitting {
    fn drop(&mut self) {
        FITTING.fetch_sub(1, AtomicOrdering::Relaxed);
    }
}

/// Cores no boosting fit is using: a lone fit (the tail of a sweep, a refit, a single trial) builds
/// its large histograms on them. Plain scoped threads rather than the pool: a pool thread waiting
/// for its helpers would pick up other trials' work, which may wait for what this fit is computing.
fn spare_threads() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    cores.saturating_sub(FITTING.load(AtomicOrdering::Relaxed).max(1))
}

/// A set of bins (levels, and [`MISSING`] for missing cells) as 256 bits.
pub type BinSet = [u64; 4];

fn contains(set: &BinSet, bin: u8) -> bool {
    set[bin as usize / 64] >> (bin % 64) & 1 == 1
}

/// Growth limits and regularisation of one tree.
#[derive(Debug, Clone, Copy)]
pub struct Growth {
    pub max_leaf_nodes: Option<usize>,
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    pub l2_regularization: f64,
    pub learning_rate: f64,
    /// Share of the features each split considers (drawn per node).
    pub max_features: f64,
}

/// A node: a split (`left` > 0) or a leaf with its value (already shrunk by the learning rate).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub feature: u32,
    /// Go left when the value is at most this (a numeric split).
    pub threshold: f64,
    /// A category split: the index of its set of levels that go left in the tree's `category_sets`.
    pub categories: Option<u32>,
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
    pub category_sets: Vec<BinSet>,
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
            } else if let Some(set) = node.categories {
                // Codes outside the training levels (-1 when imputed) go right.
                (0.0..255.0).contains(&x) && contains(&self.category_sets[set as usize], x as u8)
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
    categorical: Vec<bool>,
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
        Layout {
            features,
            categorical: binned.categorical.clone(),
            size,
        }
    }
}

/// One feature's part of a histogram: its bins' sums and counts.
type FeatureSlots<'a> = (&'a mut [[f64; 2]], &'a mut [u32]);

/// Per feature and bin: summed gradient, summed hessian and row count.
#[derive(Clone)]
struct Histogram {
    sums: Vec<[f64; 2]>,
    counts: Vec<u32>,
}

impl Histogram {
    /// Sums the rows' gradients and hessians per feature and bin. Large nodes spread their features
    /// over helper threads when cores are idle ([`spare_threads`]); each feature's sums are added in
    /// row order either way, so the result is the same bit for bit.
    fn build(
        binned: &Binned,
        layout: &Layout,
        rows: &[u32],
        gradients: &[f64],
        hessians: &[f64],
    ) -> Histogram {
        let mut sums = vec![[0.0; 2]; layout.size];
        let mut counts = vec![0u32; layout.size];
        let mut slices = Vec::with_capacity(layout.features.len());
        let (mut rest_sums, mut rest_counts) = (&mut sums[..], &mut counts[..]);
        for &(_, bins) in &layout.features {
            let (s, more_sums) = rest_sums.split_at_mut(bins + 1);
            let (c, more_counts) = rest_counts.split_at_mut(bins + 1);
            slices.push((s, c));
            (rest_sums, rest_counts) = (more_sums, more_counts);
        }
        // The rows' gradient and hessian side by side, read in order by every feature.
        let ordered: Vec<[f64; 2]> = rows
            .iter()
            .map(|&r| [gradients[r as usize], hessians[r as usize]])
            .collect();
        let fill = |(codes, (sums, counts)): (&Vec<u8>, FeatureSlots)| {
            let missing = sums.len() - 1;
            for (&r, gh) in rows.iter().zip(&ordered) {
                let b = (codes[r as usize] as usize).min(missing);
                sums[b][0] += gh[0];
                sums[b][1] += gh[1];
                counts[b] += 1;
            }
        };
        let helpers = spare_threads();
        if rows.len() * layout.features.len() < PARALLEL_CELLS || helpers == 0 {
            binned.codes.iter().zip(slices).for_each(fill);
        } else {
            // Features dealt round-robin to this thread and the helpers.
            let mut groups: Vec<Vec<_>> = (0..=helpers).map(|_| Vec::new()).collect();
            for (i, job) in binned.codes.iter().zip(slices).enumerate() {
                groups[i % (helpers + 1)].push(job);
            }
            let mine = groups.pop().unwrap_or_default();
            std::thread::scope(|scope| {
                for group in groups {
                    scope.spawn(move || helping(|| group.into_iter().for_each(fill)));
                }
                mine.into_iter().for_each(fill);
            });
        }
        Histogram { sums, counts }
    }

    /// `self - smaller`, in place: the sibling's histogram without reading its rows.
    fn minus(mut self, smaller: &Histogram) -> Histogram {
        for (a, b) in self.sums.iter_mut().zip(&smaller.sums) {
            a[0] -= b[0];
            a[1] -= b[1];
        }
        for (a, b) in self.counts.iter_mut().zip(&smaller.counts) {
            *a -= b;
        }
        self
    }
}

/// A leaf's best split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    pub feature: usize,
    /// Value bins 0..=bin go left (a numeric split).
    pub bin: u8,
    /// The bins that go left (a category split).
    pub categories: Option<BinSet>,
    pub missing_left: bool,
    pub gain: f64,
}

impl Split {
    fn goes_left(&self, code: u8) -> bool {
        match &self.categories {
            Some(set) => contains(set, code),
            None if code == MISSING => self.missing_left,
            None => code <= self.bin,
        }
    }
}

/// Summed gradient, hessian and rows of a node.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    g: f64,
    h: f64,
    n: u32,
}

impl Totals {
    fn add(&mut self, sums: [f64; 2], n: u32) {
        self.g += sums[0];
        self.h += sums[1];
        self.n += n;
    }

    /// What is left of these totals without `part`.
    fn minus(self, part: Totals) -> Totals {
        Totals {
            g: self.g - part.g,
            h: self.h - part.h,
            n: self.n - part.n,
        }
    }
}

fn score(g: f64, h: f64, l2: f64) -> f64 {
    g * g / (h + l2)
}

/// The best split of a node from its histogram over the `allowed` features; `None` when no split
/// leaves `min_samples_leaf` rows and enough hessian on each side with a positive gain.
fn best_split(
    hist: &Histogram,
    totals: Totals,
    layout: &Layout,
    growth: &Growth,
    allowed: &[bool],
) -> Option<Split> {
    let l2 = growth.l2_regularization;
    let parent = score(totals.g, totals.h, l2);
    let min_leaf = growth.min_samples_leaf.max(1) as u32;
    let mut best: Option<Split> = None;
    for (f, &(start, bins)) in layout.features.iter().enumerate() {
        if !allowed[f] {
            continue;
        }
        let sums = &hist.sums[start..start + bins + 1];
        let counts = &hist.counts[start..start + bins + 1];
        if layout.categorical[f] {
            let split = category_split(sums, counts, totals, growth);
            if let Some(split) = split.filter(|s| best.is_none_or(|b| s.gain > b.gain)) {
                best = Some(Split {
                    feature: f,
                    ..split
                });
            }
            continue;
        }
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
                // An empty bin splits the rows as the bin before it did.
                if counts[b] == 0 {
                    continue;
                }
                left.add(sums[b], counts[b]);
                let right = totals.minus(left);
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
                        categories: None,
                        missing_left,
                        gain,
                    });
                }
            }
        }
    }
    best
}

/// The best set of levels to send left for one category feature (`sums` and `counts` per level,
/// missing cells last): levels with enough hessian, ordered by smoothed gradient over hessian, and
/// the best prefix scanned from either end up to the middle; the other levels go right.
fn category_split(
    sums: &[[f64; 2]],
    counts: &[u32],
    totals: Totals,
    growth: &Growth,
) -> Option<Split> {
    let l2 = growth.l2_regularization;
    let min_leaf = growth.min_samples_leaf.max(1) as u32;
    let missing_slot = sums.len() - 1;
    // With constant hessians this is the row count.
    let support = f64::from(totals.n) / totals.h;
    let mut used: Vec<(usize, f64)> = (0..sums.len())
        .filter(|&b| counts[b] > 0 && sums[b][1] * support >= MIN_CAT_SUPPORT)
        .map(|b| (b, sums[b][0] / (sums[b][1] + MIN_CAT_SUPPORT)))
        .collect();
    if used.len() <= 1 {
        return None;
    }
    used.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let parent = score(totals.g, totals.h, l2);
    let n = used.len();
    let mut best: Option<(f64, bool, usize)> = None;
    for forward in [true, false] {
        let middle = if forward {
            n.div_ceil(2)
        } else {
            n.div_ceil(2) - 1
        };
        let mut left = Totals::default();
        for i in 0..middle {
            let b = used[if forward { i } else { n - 1 - i }].0;
            left.add(sums[b], counts[b]);
            let right = totals.minus(left);
            if left.n < min_leaf || left.h < MIN_HESSIAN {
                continue;
            }
            if right.n < min_leaf || right.h < MIN_HESSIAN {
                break;
            }
            let gain = score(left.g, left.h, l2) + score(right.g, right.h, l2) - parent;
            if gain > 0.0 && best.is_none_or(|(g, ..)| gain > g) {
                best = Some((gain, forward, i));
            }
        }
    }
    let (gain, forward, last) = best?;
    let chosen = if forward {
        &used[..=last]
    } else {
        &used[n - 1 - last..]
    };
    let mut set: BinSet = [0; 4];
    for &(b, _) in chosen {
        let bin = if b == missing_slot { MISSING } else { b as u8 };
        set[bin as usize / 64] |= 1 << (bin % 64);
    }
    Some(Split {
        feature: 0,
        bin: 0,
        categories: Some(set),
        missing_left: contains(&set, MISSING),
        gain,
    })
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

impl Node {
    fn leaf(value: f64) -> Node {
        Node {
            feature: 0,
            threshold: 0.0,
            categories: None,
            missing_left: false,
            left: 0,
            right: 0,
            value,
            gain: 0.0,
        }
    }
}

/// One tree's growth: the nodes so far, the leaves that may still split and those that will not.
struct Grower<'a> {
    binned: &'a Binned,
    layout: Layout,
    gradients: &'a [f64],
    hessians: &'a [f64],
    growth: &'a Growth,
    rng: Xoshiro256PlusPlus,
    tree: Tree,
    heap: BinaryHeap<Candidate>,
    finished: Vec<(usize, Vec<u32>)>,
}

impl Grower<'_> {
    fn totals(&self, rows: &[u32]) -> Totals {
        rows.iter().fold(Totals::default(), |t, &r| Totals {
            g: t.g + self.gradients[r as usize],
            h: t.h + self.hessians[r as usize],
            n: t.n + 1,
        })
    }

    fn leaf_value(&self, t: Totals) -> f64 {
        -self.growth.learning_rate * t.g / (t.h + self.growth.l2_regularization)
    }

    fn may_split(&self, n: u32, depth: usize) -> bool {
        n as usize >= 2 * self.growth.min_samples_leaf.max(1)
            && self.growth.max_depth.is_none_or(|d| depth < d)
    }

    fn histogram(&self, rows: &[u32]) -> Histogram {
        Histogram::build(
            self.binned,
            &self.layout,
            rows,
            self.gradients,
            self.hessians,
        )
    }

    /// The features a node may split on: all, or a fresh random share of them.
    fn allowed(&mut self) -> Vec<bool> {
        let n = self.layout.features.len();
        if self.growth.max_features >= 1.0 {
            return vec![true; n];
        }
        let take = ((self.growth.max_features * n as f64).ceil() as usize).clamp(1, n);
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut self.rng);
        let mut allowed = vec![false; n];
        order[..take].iter().for_each(|&f| allowed[f] = true);
        allowed
    }

    /// A node joins the queue with its best split, or is a finished leaf.
    fn settle(
        &mut self,
        node: usize,
        rows: Vec<u32>,
        hist: Option<Histogram>,
        totals: Totals,
        depth: usize,
    ) {
        let split = match &hist {
            Some(h) if self.may_split(totals.n, depth) => {
                let allowed = self.allowed();
                best_split(h, totals, &self.layout, self.growth, &allowed)
            }
            _ => None,
        };
        match (split, hist) {
            (Some(split), Some(hist)) => self.heap.push(Candidate {
                split,
                node,
                rows,
                hist,
                depth,
            }),
            _ => self.finished.push((node, rows)),
        }
    }

    /// Splits a queued leaf into two children.
    fn split(&mut self, c: Candidate) {
        let split = c.split;
        let codes = &self.binned.codes[split.feature];
        let (left_rows, right_rows): (Vec<u32>, Vec<u32>) = c
            .rows
            .iter()
            .partition(|&&r| split.goes_left(codes[r as usize]));
        let (left_totals, right_totals) = (self.totals(&left_rows), self.totals(&right_rows));
        let depth = c.depth + 1;
        // Children that cannot split need no histogram; the larger one's is the parent's minus
        // the smaller one's.
        let (left_hist, right_hist) =
            if !self.may_split(left_totals.n, depth) && !self.may_split(right_totals.n, depth) {
                (None, None)
            } else if left_rows.len() <= right_rows.len() {
                let small = self.histogram(&left_rows);
                let large = c.hist.minus(&small);
                (Some(small), Some(large))
            } else {
                let small = self.histogram(&right_rows);
                let large = c.hist.minus(&small);
                (Some(large), Some(small))
            };
        let values = [self.leaf_value(left_totals), self.leaf_value(right_totals)];
        let nodes = &mut self.tree.nodes;
        let (left, right) = (nodes.len(), nodes.len() + 1);
        nodes.extend(values.map(Node::leaf));
        let categories = split.categories.map(|set| {
            self.tree.category_sets.push(set);
            self.tree.category_sets.len() as u32 - 1
        });
        let parent = &mut self.tree.nodes[c.node];
        *parent = Node {
            feature: split.feature as u32,
            threshold: if categories.is_some() {
                0.0
            } else {
                self.binned.thresholds[split.feature][split.bin as usize]
            },
            categories,
            missing_left: split.missing_left,
            left: left as u32,
            right: right as u32,
            value: parent.value,
            gain: split.gain,
        };
        self.settle(left, left_rows, left_hist, left_totals, depth);
        self.settle(right, right_rows, right_hist, right_totals, depth);
    }
}

/// Grows one tree on `rows` (training rows with their gradients and hessians); `seed` draws the
/// features each split considers when `max_features` < 1.
pub fn grow(
    binned: &Binned,
    rows: Vec<u32>,
    gradients: &[f64],
    hessians: &[f64],
    growth: &Growth,
    seed: u64,
) -> Grown {
    let mut grower = Grower {
        binned,
        layout: Layout::of(binned),
        gradients,
        hessians,
        growth,
        rng: Xoshiro256PlusPlus::seed_from_u64(seed),
        tree: Tree {
            nodes: Vec::new(),
            category_sets: Vec::new(),
        },
        heap: BinaryHeap::new(),
        finished: Vec::new(),
    };
    let totals = grower.totals(&rows);
    grower
        .tree
        .nodes
        .push(Node::leaf(grower.leaf_value(totals)));
    let hist = grower.histogram(&rows);
    grower.settle(0, rows, Some(hist), totals, 0);
    let mut leaves = 1;
    while let Some(c) = grower.heap.pop() {
        if growth.max_leaf_nodes.is_some_and(|m| leaves >= m) {
            grower.finished.push((c.node, c.rows));
            break;
        }
        grower.split(c);
        leaves += 1;
    }
    let mut finished = grower.finished;
    finished.extend(grower.heap.into_iter().map(|c| (c.node, c.rows)));
    Grown {
        tree: grower.tree,
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
        max_features: 1.0,
    };

    /// A one-feature histogram with value bins `g`, `h`, `n` and the missing slot last.
    fn histogram(g: &[f64], h: &[f64], n: &[u32], missing: (f64, f64, u32)) -> (Histogram, Layout) {
        let mut sums: Vec<[f64; 2]> = g.iter().zip(h).map(|(&g, &h)| [g, h]).collect();
        let mut counts = n.to_vec();
        sums.push([missing.0, missing.1]);
        counts.push(missing.2);
        let layout = Layout {
            features: vec![(0, g.len())],
            categorical: vec![false],
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
        let split = best_split(&hist, totals(&hist), &layout, &GROWTH, &[true]).unwrap();
        assert_eq!((split.bin, split.gain), (1, 8.0));
        let strict = Growth {
            min_samples_leaf: 5,
            ..GROWTH
        };
        assert_eq!(
            best_split(&hist, totals(&hist), &layout, &strict, &[true]),
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
            let split = best_split(&hist, totals(&hist), &layout, &GROWTH, &[true]).unwrap();
            assert_eq!(
                (split.bin, split.missing_left),
                (0, left),
                "missing gradient {missing_g}"
            );
        }
        // None missing in training: they follow the larger side.
        let (hist, layout) = histogram(&[-2.0, 2.0], &[2.0, 6.0], &[2, 6], (0.0, 0.0, 0));
        let split = best_split(&hist, totals(&hist), &layout, &GROWTH, &[true]).unwrap();
        assert!(!split.missing_left);
    }

    /// Only the level set {0, 2} against {1, 3} separates the classes: no threshold on the codes
    /// does, a category split does, and missing cells (like level 1 here) join level 1's side.
    #[test]
    fn a_category_set_split_separates_what_no_threshold_can() {
        let n = 400;
        let level = |r: usize| r % 5;
        let x = ndarray::Array2::from_shape_fn((n, 1), |(r, _)| match level(r) {
            4 => f64::NAN,
            l => l as f64,
        });
        // Gradients of binary log-loss at p = 0.5: -0.5 for class 1 (levels 0 and 2), +0.5 else.
        let gradients: Vec<f64> = (0..n)
            .map(|r| if matches!(level(r), 0 | 2) { -0.5 } else { 0.5 })
            .collect();
        let hessians = vec![0.25; n];
        let rows: Vec<u32> = (0..n as u32).collect();
        let growth = Growth {
            max_leaf_nodes: Some(2),
            min_samples_leaf: 20,
            ..GROWTH
        };
        let numeric = grow(
            &Binned::new(x.view(), 255, &[]),
            rows.clone(),
            &gradients,
            &hessians,
            &growth,
            0,
        );
        let category = grow(
            &Binned::new(x.view(), 255, &[0]),
            rows,
            &gradients,
            &hessians,
            &growth,
            0,
        );
        let pure = |g: &Grown| {
            g.leaves.iter().all(|(_, rows)| {
                rows.iter()
                    .all(|&r| gradients[r as usize] == gradients[rows[0] as usize])
            })
        };
        assert!(!pure(&numeric), "no threshold on 0..3 isolates {{0, 2}}");
        assert!(pure(&category));
        let tree = &category.tree;
        let at = |v: f64| tree.value(ndarray::array![v].view());
        assert_eq!(at(0.0), at(2.0));
        assert_eq!(at(1.0), at(3.0));
        assert_eq!(
            at(f64::NAN),
            at(1.0),
            "missing cells went with level 1 and 3 in training"
        );
        assert_eq!(
            at(7.0),
            at(f64::NAN),
            "an unseen code goes where the levels right of the split go"
        );
        assert_ne!(at(0.0), at(1.0));
    }

    /// With `max_features` below 1 each node sees a seeded random share of the features: the same
    /// seed grows the same tree, and a tree on one informative column among many sometimes cannot
    /// use it.
    #[test]
    fn max_features_draws_a_seeded_share_of_features_per_split() {
        let n = 200;
        let x =
            ndarray::Array2::from_shape_fn((n, 10), |(r, c)| ((r * (c + 1) * 7919) % 97) as f64);
        let gradients: Vec<f64> = (0..n)
            .map(|r| if x[(r, 0)] < 48.0 { -1.0 } else { 1.0 })
            .collect();
        let hessians = vec![1.0; n];
        let binned = Binned::new(x.view(), 255, &[]);
        let rows: Vec<u32> = (0..n as u32).collect();
        let growth = Growth {
            max_leaf_nodes: Some(2),
            max_features: 0.1,
            ..GROWTH
        };
        let root_feature = |seed| {
            grow(&binned, rows.clone(), &gradients, &hessians, &growth, seed)
                .tree
                .nodes[0]
                .feature
        };
        assert_eq!(root_feature(3), root_feature(3));
        let features: std::collections::BTreeSet<u32> = (0..20).map(root_feature).collect();
        assert!(
            features.len() > 1,
            "one feature per split, drawn anew: {features:?}"
        );
        let all = grow(
            &binned,
            rows.clone(),
            &gradients,
            &hessians,
            &Growth {
                max_features: 1.0,
                ..growth
            },
            0,
        );
        assert_eq!(all.tree.nodes[0].feature, 0);
    }
}
