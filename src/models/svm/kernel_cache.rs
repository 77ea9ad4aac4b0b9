//! Kernel rows shared by every SVM trial of a process under one memory budget (the sweep's
//! `execution.cache_memory`, split between worker processes): rows are computed when a solver
//! first asks for them, stored as f32 (as libsvm's cache does), and the least recently used rows
//! of any kernel are dropped when the budget is reached.

use super::smo::{Kernel, KernelRows};
use crate::models::{read_shared, shared_work};
use ndarray::{Array2, ArrayView2, Axis};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

/// The budget when the sweep sets none: about what libsvm-based tools use per process at two jobs.
pub const DEFAULT_CACHE_MEMORY: u64 = 256 << 20;

static BUDGET: AtomicU64 = AtomicU64::new(DEFAULT_CACHE_MEMORY);
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
static STORE: LazyLock<Mutex<RowStore>> = LazyLock::new(Mutex::default);

/// Sets this process's kernel-row budget in bytes.
pub fn set_budget(bytes: u64) {
    BUDGET.store(bytes, Ordering::Relaxed);
}

/// A row of one kernel: (kernel id, row index).
type RowKey = (u64, u32);

/// Every cached row with its last use; `by_use` orders the same keys by last use.
#[derive(Default)]
struct RowStore {
    rows: HashMap<RowKey, (Arc<[f32]>, u64)>,
    by_use: BTreeMap<u64, RowKey>,
    bytes: u64,
    clock: u64,
}

impl RowStore {
    fn get(&mut self, key: RowKey) -> Option<Arc<[f32]>> {
        self.clock += 1;
        let clock = self.clock;
        let (row, used) = self.rows.get_mut(&key)?;
        self.by_use.remove(used);
        *used = clock;
        self.by_use.insert(clock, key);
        Some(Arc::clone(row))
    }

    fn insert(&mut self, key: RowKey, row: Arc<[f32]>, budget: u64) {
        let size = (row.len() * 4) as u64;
        while self.bytes + size > budget {
            let Some((_, oldest)) = self.by_use.pop_first() else {
                break;
            };
            if let Some((gone, _)) = self.rows.remove(&oldest) {
                self.bytes -= (gone.len() * 4) as u64;
            }
        }
        if self.bytes + size > budget {
            return;
        }
        self.clock += 1;
        self.by_use.insert(self.clock, key);
        if let Some((old, used)) = self.rows.insert(key, (row, self.clock)) {
            self.by_use.remove(&used);
            self.bytes -= (old.len() * 4) as u64;
        }
        self.bytes += size;
    }

    fn forget(&mut self, id: u64) {
        let keys: Vec<RowKey> = self.rows.keys().filter(|k| k.0 == id).copied().collect();
        for key in keys {
            if let Some((row, used)) = self.rows.remove(&key) {
                self.by_use.remove(&used);
                self.bytes -= (row.len() * 4) as u64;
            }
        }
    }
}

/// The kernel matrix of one training fold, row by row through the shared store; shared by every
/// C value (and class) on that fold and kernel.
pub struct SharedKernel {
    id: u64,
    /// Rows computed and the nanoseconds they took: a row read from the store counts as read
    /// shared work of their mean cost.
    computed: AtomicU64,
    nanos: AtomicU64,
    kernel: Kernel,
    x: Array2<f64>,
    /// |x_i|^2, for rbf rows.
    norms: Vec<f64>,
}

impl SharedKernel {
    pub fn new(kernel: Kernel, x: ArrayView2<f64>) -> SharedKernel {
        SharedKernel {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            computed: AtomicU64::new(0),
            nanos: AtomicU64::new(0),
            kernel,
            norms: x.map_axis(Axis(1), |r| r.dot(&r)).to_vec(),
            x: x.to_owned(),
        }
    }

    fn compute(&self, i: usize) -> Arc<[f32]> {
        let dots = self.x.dot(&self.x.row(i));
        let norm_i = self.norms[i];
        let row: Vec<f32> = dots
            .iter()
            .zip(&self.norms)
            .map(|(&d, &n)| self.kernel.value(d, norm_i, n) as f32)
            .collect();
        Arc::from(row)
    }
}

impl KernelRows for SharedKernel {
    fn size(&self) -> usize {
        self.x.nrows()
    }

    fn diagonal(&self, i: usize) -> f64 {
        let n = self.norms[i];
        self.kernel.value(n, n, n)
    }

    fn row(&self, i: usize) -> Arc<[f32]> {
        let key = (self.id, i as u32);
        if let Some(row) = lock().get(key) {
            let computed = self.computed.load(Ordering::Relaxed).max(1);
            read_shared(self.nanos.load(Ordering::Relaxed) as f64 * 1e-9 / computed as f64);
            return row;
        }
        // Computed outside the lock, so other solvers keep reading rows meanwhile.
        let started = Instant::now();
        let row = shared_work(|| self.compute(i));
        let seconds = started.elapsed();
        read_shared(seconds.as_secs_f64());
        self.computed.fetch_add(1, Ordering::Relaxed);
        self.nanos
            .fetch_add(seconds.as_nanos() as u64, Ordering::Relaxed);
        lock().insert(key, Arc::clone(&row), BUDGET.load(Ordering::Relaxed));
        row
    }
}

impl Drop for SharedKernel {
    fn drop(&mut self) {
        lock().forget(self.id);
    }
}

fn lock() -> std::sync::MutexGuard<'static, RowStore> {
    STORE.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_recently_used_rows_go_first_and_the_budget_holds() {
        let mut store = RowStore::default();
        let row = |v: f32| -> Arc<[f32]> { Arc::from(vec![v; 10]) };
        // 40 bytes per row, room for two.
        store.insert((0, 0), row(0.0), 80);
        store.insert((0, 1), row(1.0), 80);
        assert!(store.get((0, 0)).is_some());
        store.insert((1, 0), row(2.0), 80);
        assert!(
            store.get((0, 1)).is_none(),
            "the least recently used row was dropped"
        );
        assert!(store.get((0, 0)).is_some() && store.get((1, 0)).is_some());
        assert_eq!(store.bytes, 80);
        store.forget(0);
        assert!(store.get((0, 0)).is_none());
        assert_eq!(store.bytes, 40);
    }

    #[test]
    fn rows_match_the_full_kernel_matrix() {
        let x = Array2::from_shape_fn((30, 3), |(r, c)| ((r * 7 + c * 3) % 11) as f64 / 3.0);
        for kernel in [
            Kernel::Rbf { gamma: 0.3 },
            Kernel::Linear,
            Kernel::Polynomial {
                gamma: 0.5,
                coef0: 1.0,
                degree: 2,
            },
        ] {
            let full = kernel.matrix(x.view(), x.view());
            let shared = SharedKernel::new(kernel, x.view());
            for i in 0..30 {
                let row = shared.row(i);
                for j in 0..30 {
                    let want = full[[i, j]];
                    assert!((f64::from(row[j]) - want).abs() <= 1e-6 * want.abs().max(1.0));
                }
                assert!((shared.diagonal(i) - full[[i, i]]).abs() < 1e-9);
            }
        }
    }
}
