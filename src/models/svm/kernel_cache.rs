//! Kernel rows shared by every SVM trial of a process under one memory budget (the sweep's
//! `execution.cache_memory`, split between worker processes): rows are computed when a solver
//! first asks for them, stored as f32 (as libsvm's cache does), and rows are dropped when the
//! budget is reached, those of idle kernels first (see [`RowStore::victim`]).

use super::smo::{Kernel, KernelRows};
use super::vector::dots_by_column;
use crate::models::{read_shared, shared_work};
use ndarray::{Array2, ArrayView2};
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

/// The cached rows of one kernel, with their last uses (`by_use` orders the same rows by it).
#[derive(Default)]
struct StoredKernel {
    rows: HashMap<u32, (Arc<[f32]>, u64)>,
    by_use: BTreeMap<u64, u32>,
    last_use: u64,
    /// Solvers reading this kernel now.
    solvers: usize,
    /// Whether the last solver to leave said no trial in sight reads it again.
    retired: bool,
}

#[derive(Default)]
struct RowStore {
    kernels: HashMap<u64, StoredKernel>,
    bytes: u64,
    clock: u64,
}

fn row_bytes(row: &[f32]) -> u64 {
    (row.len() * 4) as u64
}

impl RowStore {
    fn get(&mut self, id: u64, i: u32) -> Option<Arc<[f32]>> {
        self.clock += 1;
        let clock = self.clock;
        let kernel = self.kernels.get_mut(&id)?;
        let (row, used) = kernel.rows.get_mut(&i)?;
        kernel.by_use.remove(used);
        *used = clock;
        kernel.by_use.insert(clock, i);
        kernel.last_use = clock;
        Some(Arc::clone(row))
    }

    fn insert(&mut self, id: u64, i: u32, row: Arc<[f32]>, budget: u64) {
        let size = row_bytes(&row);
        while self.bytes + size > budget {
            let Some(victim) = self.victim(id) else {
                break;
            };
            let kernel = self.kernels.get_mut(&victim).expect("a victim has rows");
            if let Some((_, oldest)) = kernel.by_use.pop_first() {
                if let Some((gone, _)) = kernel.rows.remove(&oldest) {
                    self.bytes -= row_bytes(&gone);
                }
            }
        }
        if self.bytes + size > budget {
            return;
        }
        self.clock += 1;
        let kernel = self.kernels.entry(id).or_default();
        kernel.last_use = self.clock;
        kernel.by_use.insert(self.clock, i);
        if let Some((old, used)) = kernel.rows.insert(i, (row, self.clock)) {
            kernel.by_use.remove(&used);
            self.bytes -= row_bytes(&old);
        }
        self.bytes += size;
    }

    /// The kernel to drop a row of (its least recently used one) to make room for a row of
    /// `inserting`. First an idle kernel (no solver reading it) that was retired, the least recently
    /// used one first; then the idle kernel used most recently: a sweep reads its kernels in turns
    /// (each trial's folds, then the next C value's), so the kernel just left is the one read again
    /// last, and dropping least recently used rows would drop every row just before its next use.
    /// Else the kernel holding the least recently used row.
    fn victim(&self, inserting: u64) -> Option<u64> {
        let holding = || self.kernels.iter().filter(|(_, k)| !k.rows.is_empty());
        let idle = || holding().filter(|(&id, k)| id != inserting && k.solvers == 0);
        idle()
            .filter(|(_, k)| k.retired)
            .min_by_key(|(_, k)| k.last_use)
            .or_else(|| idle().max_by_key(|(_, k)| k.last_use))
            .or_else(|| holding().min_by_key(|(_, k)| k.by_use.first_key_value().map(|(&c, _)| c)))
            .map(|(&id, _)| id)
    }

    fn solvers(&mut self, id: u64, started: bool, retire: bool) {
        let kernel = self.kernels.entry(id).or_default();
        if started {
            kernel.solvers += 1;
            kernel.retired = false;
        } else {
            kernel.solvers = kernel.solvers.saturating_sub(1);
            kernel.retired = retire && kernel.solvers == 0;
        }
    }

    fn forget(&mut self, id: u64) {
        if let Some(kernel) = self.kernels.remove(&id) {
            self.bytes -= kernel.rows.values().map(|(r, _)| row_bytes(r)).sum::<u64>();
        }
    }
}

/// A solver reading a kernel: while it lives, the kernel's rows go only when no idle kernel has any.
pub struct Solving<'a> {
    kernel: &'a SharedKernel,
    retire: bool,
}

impl Solving<'_> {
    /// Says that no trial in sight reads the kernel again (the last C of a listed chain was solved):
    /// once its solvers have left, its rows go before those of any other kernel.
    pub fn retire(&mut self) {
        self.retire = true;
    }
}

impl Drop for Solving<'_> {
    fn drop(&mut self) {
        lock().solvers(self.kernel.id, false, self.retire);
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
    /// The training rows by column (features x rows), so a kernel row is a sum of contiguous
    /// column slices scaled by the row's features, skipping its zeros (one-hot columns).
    columns: Array2<f64>,
    /// |x_i|^2, summed in the same order as the rows' dot products.
    norms: Vec<f64>,
}

impl SharedKernel {
    pub fn new(kernel: Kernel, x: ArrayView2<f64>) -> SharedKernel {
        let columns = x.t().as_standard_layout().into_owned();
        let mut norms = vec![0.0; x.nrows()];
        for column in columns.outer_iter() {
            for (norm, &v) in norms.iter_mut().zip(column) {
                *norm += v * v;
            }
        }
        SharedKernel {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            computed: AtomicU64::new(0),
            nanos: AtomicU64::new(0),
            kernel,
            columns,
            norms,
        }
    }

    /// Marks this kernel as read by a solver until the guard is dropped.
    pub fn solving(&self) -> Solving<'_> {
        lock().solvers(self.id, true, false);
        Solving {
            kernel: self,
            retire: false,
        }
    }

    fn compute(&self, i: usize) -> Arc<[f32]> {
        let mut dots = vec![0.0; self.norms.len()];
        dots_by_column(
            &mut dots,
            self.columns.column(i).iter().copied(),
            self.columns
                .rows()
                .into_iter()
                .map(|c| c.to_slice().expect("standard layout")),
        );
        self.kernel.apply(&mut dots, self.norms[i], &self.norms);
        dots.iter().map(|&v| v as f32).collect()
    }
}

impl KernelRows for SharedKernel {
    fn size(&self) -> usize {
        self.norms.len()
    }

    fn diagonal(&self, i: usize) -> f64 {
        let n = self.norms[i];
        self.kernel.value(n, n, n)
    }

    fn row(&self, i: usize) -> Arc<[f32]> {
        if let Some(row) = lock().get(self.id, i as u32) {
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
        lock().insert(
            self.id,
            i as u32,
            Arc::clone(&row),
            BUDGET.load(Ordering::Relaxed),
        );
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
    fn least_recently_used_rows_of_busy_kernels_go_first_and_the_budget_holds() {
        let mut store = RowStore::default();
        let row = |v: f32| -> Arc<[f32]> { Arc::from(vec![v; 10]) };
        store.solvers(0, true, false);
        store.solvers(1, true, false);
        // 40 bytes per row, room for two.
        store.insert(0, 0, row(0.0), 80);
        store.insert(0, 1, row(1.0), 80);
        assert!(store.get(0, 0).is_some());
        store.insert(1, 0, row(2.0), 80);
        assert!(
            store.get(0, 1).is_none(),
            "the least recently used row was dropped"
        );
        assert!(store.get(0, 0).is_some() && store.get(1, 0).is_some());
        assert_eq!(store.bytes, 80);
        store.forget(0);
        assert!(store.get(0, 0).is_none());
        assert_eq!(store.bytes, 40);
    }

    #[test]
    fn the_idle_kernel_used_last_gives_up_its_rows_first() {
        let mut store = RowStore::default();
        let row = |v: f32| -> Arc<[f32]> { Arc::from(vec![v; 10]) };
        // Kernels 0 then 1 were read and left; kernel 2 is being solved. Room for four rows.
        for (kernel, i) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            store.insert(kernel, i, row(0.0), 160);
        }
        store.solvers(2, true, false);
        store.insert(2, 0, row(1.0), 160);
        store.insert(2, 1, row(1.0), 160);
        assert!(store.get(0, 0).is_some() && store.get(0, 1).is_some());
        assert!(store.get(1, 0).is_none() && store.get(1, 1).is_none());
        // Kernel 0 was just read, but kernel 2 is busy: kernel 0 gives up its rows next.
        store.insert(2, 2, row(1.0), 160);
        assert!(store.get(2, 0).is_some() && store.get(2, 1).is_some());
        assert_eq!(store.bytes, 160);
    }

    #[test]
    fn retired_kernels_give_up_their_rows_before_any_other() {
        let mut store = RowStore::default();
        let row = |v: f32| -> Arc<[f32]> { Arc::from(vec![v; 10]) };
        // Kernel 0 was solved and retired, kernel 1 was left after it; room for four rows.
        store.solvers(0, true, false);
        store.insert(0, 0, row(0.0), 160);
        store.insert(0, 1, row(0.0), 160);
        store.solvers(0, false, true);
        store.solvers(1, true, false);
        store.insert(1, 0, row(0.0), 160);
        store.insert(1, 1, row(0.0), 160);
        store.solvers(1, false, false);
        store.solvers(2, true, false);
        store.insert(2, 0, row(1.0), 160);
        assert!(store.get(0, 0).is_none() && store.get(0, 1).is_some());
        assert!(store.get(1, 0).is_some() && store.get(1, 1).is_some());
        // A solver reading kernel 0 again takes it out of retirement: kernel 1, left last, goes.
        store.solvers(0, true, false);
        store.solvers(0, false, false);
        store.insert(2, 1, row(1.0), 160);
        assert!(store.get(0, 1).is_some());
        assert_eq!(store.kernels[&1].rows.len(), 1);
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
