//! The two scans of an SMO iteration over the active variables, on their state packed side by side
//! (see `Dual` in [`smo`](super::smo)), so that they read contiguous memory: the update of v after a
//! step (finding the next i on the way) and the choice of j. Each runs in `LANES` interleaved lanes
//! with a best so far per lane, so the processor can do several variables at once; the lanes'
//! bests are then reduced, ties going to the later variable as in one sequential scan. Compiled for
//! the baseline x86-64 and for AVX2, chosen at run time; both do the same operations in the same
//! order, so they give the same bits.

/// The smallest `quad` (K_ii + K_tt - 2 K_it) a pair is given, as libsvm's TAU.
pub const TAU: f64 = 1e-12;

const LANES: usize = 4;

/// A scan over the packed variables: what one variable does to its lane's best so far, the same for
/// whole groups of `LANES` variables with AVX2, and the answer the lanes give together.
trait Scan {
    type Answer;
    fn len(&self) -> usize;
    fn visit(&mut self, lane: usize, k: usize);
    /// Does the leading whole groups; returns how many variables that was.
    /// # Safety
    /// The processor must have AVX2.
    #[cfg(target_arch = "x86_64")]
    unsafe fn groups(&mut self) -> usize;
    fn answer(&self) -> Self::Answer;
}

/// Runs `scan`: whole groups with AVX2 when the processor has it, the rest one variable at a time in
/// the lane it would have had.
fn run<S: Scan>(mut scan: S) -> S::Answer {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2.
        done = unsafe { scan.groups() };
    }
    for k in done..scan.len() {
        scan.visit((k - done) % LANES, k);
    }
    scan.answer()
}

/// v_t -= K_it s_i + K_jt s_j for every packed variable; returns the position and value of the
/// largest v among those in I_up (`up`), the next step's i (position `usize::MAX` if none).
pub fn update(
    v: &mut [f64],
    up: &[bool],
    ki: &[f32],
    kj: &[f32],
    si: f64,
    sj: f64,
) -> (usize, f64) {
    let len = v.len();
    run(Update::new(v, &up[..len], &ki[..len], &kj[..len], si, sj))
}

/// The update of v, with per lane the largest v in I_up so far and its position.
struct Update<'a> {
    v: &'a mut [f64],
    up: &'a [bool],
    ki: &'a [f32],
    kj: &'a [f32],
    si: f64,
    sj: f64,
    top: [f64; LANES],
    at: [usize; LANES],
}

impl<'a> Update<'a> {
    fn new(
        v: &'a mut [f64],
        up: &'a [bool],
        ki: &'a [f32],
        kj: &'a [f32],
        si: f64,
        sj: f64,
    ) -> Self {
        Update {
            v,
            up,
            ki,
            kj,
            si,
            sj,
            top: [f64::NEG_INFINITY; LANES],
            at: [usize::MAX; LANES],
        }
    }
}

impl Scan for Update<'_> {
    type Answer = (usize, f64);

    fn len(&self) -> usize {
        self.v.len()
    }

    #[inline(always)]
    fn visit(&mut self, lane: usize, k: usize) {
        let vk = self.v[k] - (f64::from(self.ki[k]) * self.si + f64::from(self.kj[k]) * self.sj);
        self.v[k] = vk;
        if self.up[k] && vk >= self.top[lane] {
            (self.top[lane], self.at[lane]) = (vk, k);
        }
    }

    #[cfg(target_arch = "x86_64")]
    unsafe fn groups(&mut self) -> usize {
        avx2::update(self)
    }

    fn answer(&self) -> (usize, f64) {
        let mut best = (self.at[0], self.top[0]);
        for lane in 1..LANES {
            let (k, value) = (self.at[lane], self.top[lane]);
            if k != usize::MAX
                && (best.0 == usize::MAX || value > best.1 || (value == best.1 && k > best.0))
            {
                best = (k, value);
            }
        }
        best
    }
}

/// The second variable of the working set, given the first (v = `gmax`, kernel row `ki` and diagonal
/// `diag_i`): over the variables in I_low (`low`) with v below `gmax`, the position maximising
/// (gmax - v_t)^2 / quad_t (Fan, Chen and Lin 2005), ties to the later one; and the smallest v over
/// I_low. Fractions are compared by cross-multiplying: no division per variable.
pub fn second(
    v: &[f64],
    low: &[bool],
    diag: &[f64],
    ki: &[f32],
    gmax: f64,
    diag_i: f64,
) -> (usize, f64) {
    let len = v.len();
    run(Second::new(
        v,
        &low[..len],
        &diag[..len],
        &ki[..len],
        gmax,
        diag_i,
    ))
}

/// The choice of j, with per lane the smallest v in I_low so far, and the best candidate as
/// (gmax - v)^2 over quad and its position.
struct Second<'a> {
    v: &'a [f64],
    low: &'a [bool],
    diag: &'a [f64],
    ki: &'a [f32],
    gmax: f64,
    diag_i: f64,
    gmin: [f64; LANES],
    num: [f64; LANES],
    den: [f64; LANES],
    at: [usize; LANES],
}

impl<'a> Second<'a> {
    fn new(
        v: &'a [f64],
        low: &'a [bool],
        diag: &'a [f64],
        ki: &'a [f32],
        gmax: f64,
        diag_i: f64,
    ) -> Self {
        Second {
            v,
            low,
            diag,
            ki,
            gmax,
            diag_i,
            gmin: [f64::INFINITY; LANES],
            num: [-1.0; LANES],
            den: [1.0; LANES],
            at: [usize::MAX; LANES],
        }
    }
}

impl Scan for Second<'_> {
    type Answer = (usize, f64);

    fn len(&self) -> usize {
        self.v.len()
    }

    #[inline(always)]
    fn visit(&mut self, lane: usize, k: usize) {
        let vk = self.v[k];
        if self.low[k] && vk < self.gmin[lane] {
            self.gmin[lane] = vk;
        }
        let diff = self.gmax - vk;
        let quad = self.diag_i + self.diag[k] - 2.0 * f64::from(self.ki[k]);
        let quad = if quad > 0.0 { quad } else { TAU };
        let square = diff * diff;
        if self.low[k] && diff > 0.0 && square * self.den[lane] >= self.num[lane] * quad {
            (self.num[lane], self.den[lane], self.at[lane]) = (square, quad, k);
        }
    }

    #[cfg(target_arch = "x86_64")]
    unsafe fn groups(&mut self) -> usize {
        avx2::second(self)
    }

    fn answer(&self) -> (usize, f64) {
        let mut best = 0;
        for lane in 1..LANES {
            let (left, right) = (
                self.num[lane] * self.den[best],
                self.num[best] * self.den[lane],
            );
            if left > right
                || (left == right && self.at[lane] > self.at[best] && self.at[lane] != usize::MAX)
            {
                best = lane;
            }
        }
        (
            self.at[best],
            self.gmin.into_iter().fold(f64::INFINITY, f64::min),
        )
    }
}

/// The whole groups of `LANES` variables, four to an AVX2 register, lane l taking positions l mod 4:
/// the same operations in the same order as `visit`, so the same results.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Second, Update, LANES, TAU};
    use std::arch::x86_64::*;

    /// Four bools as four all-ones or all-zeros 64-bit lanes.
    #[inline(always)]
    unsafe fn mask(flags: &[bool]) -> __m256d {
        let bytes = u32::from_le_bytes([
            flags[0] as u8,
            flags[1] as u8,
            flags[2] as u8,
            flags[3] as u8,
        ]);
        let wide = _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(bytes as i32));
        _mm256_castsi256_pd(_mm256_cmpgt_epi64(wide, _mm256_setzero_si256()))
    }

    #[inline(always)]
    unsafe fn widen(values: &[f32]) -> __m256d {
        _mm256_cvtps_pd(_mm_loadu_ps(values[..LANES].as_ptr()))
    }

    /// Returns how many leading variables it did (a multiple of `LANES`).
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn update(lanes: &mut Update) -> usize {
        let whole = lanes.v.len() - lanes.v.len() % LANES;
        let (v, up, ki, kj, si, sj) = (
            &mut *lanes.v,
            lanes.up,
            lanes.ki,
            lanes.kj,
            lanes.si,
            lanes.sj,
        );
        let (si, sj) = (_mm256_set1_pd(si), _mm256_set1_pd(sj));
        let mut top = _mm256_loadu_pd(lanes.top.as_ptr());
        let mut at = _mm256_loadu_si256(lanes.at.as_ptr().cast());
        let mut index = _mm256_set_epi64x(3, 2, 1, 0);
        let step = _mm256_set1_epi64x(LANES as i64);
        for k in (0..whole).step_by(LANES) {
            let bracket = _mm256_add_pd(
                _mm256_mul_pd(widen(&ki[k..]), si),
                _mm256_mul_pd(widen(&kj[k..]), sj),
            );
            let vk = _mm256_sub_pd(_mm256_loadu_pd(v[k..k + LANES].as_ptr()), bracket);
            _mm256_storeu_pd(v[k..k + LANES].as_mut_ptr(), vk);
            let better = _mm256_and_pd(mask(&up[k..]), _mm256_cmp_pd::<_CMP_GE_OQ>(vk, top));
            top = _mm256_blendv_pd(top, vk, better);
            at = _mm256_castpd_si256(_mm256_blendv_pd(
                _mm256_castsi256_pd(at),
                _mm256_castsi256_pd(index),
                better,
            ));
            index = _mm256_add_epi64(index, step);
        }
        _mm256_storeu_pd(lanes.top.as_mut_ptr(), top);
        _mm256_storeu_si256(lanes.at.as_mut_ptr().cast(), at);
        whole
    }

    /// Returns how many leading variables it did (a multiple of `LANES`).
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn second(lanes: &mut Second) -> usize {
        let (v, low, diag, ki) = (lanes.v, lanes.low, lanes.diag, lanes.ki);
        let (gmax, diag_i) = (lanes.gmax, lanes.diag_i);
        let whole = v.len() - v.len() % LANES;
        let (gmax, diag_i) = (_mm256_set1_pd(gmax), _mm256_set1_pd(diag_i));
        let (two, zero, tau) = (
            _mm256_set1_pd(2.0),
            _mm256_setzero_pd(),
            _mm256_set1_pd(TAU),
        );
        let mut gmin = _mm256_loadu_pd(lanes.gmin.as_ptr());
        let mut num = _mm256_loadu_pd(lanes.num.as_ptr());
        let mut den = _mm256_loadu_pd(lanes.den.as_ptr());
        let mut at = _mm256_castsi256_pd(_mm256_loadu_si256(lanes.at.as_ptr().cast()));
        let mut index = _mm256_set_epi64x(3, 2, 1, 0);
        let step = _mm256_set1_epi64x(LANES as i64);
        for k in (0..whole).step_by(LANES) {
            let vk = _mm256_loadu_pd(v[k..k + LANES].as_ptr());
            let low = mask(&low[k..]);
            let lower = _mm256_and_pd(low, _mm256_cmp_pd::<_CMP_LT_OQ>(vk, gmin));
            gmin = _mm256_blendv_pd(gmin, vk, lower);
            let diff = _mm256_sub_pd(gmax, vk);
            let sum = _mm256_add_pd(diag_i, _mm256_loadu_pd(diag[k..k + LANES].as_ptr()));
            let quad = _mm256_sub_pd(sum, _mm256_mul_pd(two, widen(&ki[k..])));
            let quad = _mm256_blendv_pd(tau, quad, _mm256_cmp_pd::<_CMP_GT_OQ>(quad, zero));
            let square = _mm256_mul_pd(diff, diff);
            let larger =
                _mm256_cmp_pd::<_CMP_GE_OQ>(_mm256_mul_pd(square, den), _mm256_mul_pd(num, quad));
            let better = _mm256_and_pd(
                _mm256_and_pd(low, _mm256_cmp_pd::<_CMP_GT_OQ>(diff, zero)),
                larger,
            );
            num = _mm256_blendv_pd(num, square, better);
            den = _mm256_blendv_pd(den, quad, better);
            at = _mm256_blendv_pd(at, _mm256_castsi256_pd(index), better);
            index = _mm256_add_epi64(index, step);
        }
        _mm256_storeu_pd(lanes.gmin.as_mut_ptr(), gmin);
        _mm256_storeu_pd(lanes.num.as_mut_ptr(), num);
        _mm256_storeu_pd(lanes.den.as_mut_ptr(), den);
        _mm256_storeu_si256(lanes.at.as_mut_ptr().cast(), _mm256_castpd_si256(at));
        whole
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scans as one plain sequential loop each, as the solver ran them before lanes.
    fn sequential(
        v: &[f64],
        up: &[bool],
        low: &[bool],
        diag: &[f64],
        ki: &[f32],
        gmax: f64,
        diag_i: f64,
    ) -> ((usize, f64), (usize, f64)) {
        let (mut top, mut i) = (f64::NEG_INFINITY, usize::MAX);
        for k in 0..v.len() {
            if up[k] && v[k] >= top {
                (top, i) = (v[k], k);
            }
        }
        let (mut gmin, mut best, mut j) = (f64::INFINITY, f64::NEG_INFINITY, usize::MAX);
        for k in 0..v.len() {
            if low[k] && v[k] < gmin {
                gmin = v[k];
            }
            let diff = gmax - v[k];
            let quad = diag_i + diag[k] - 2.0 * f64::from(ki[k]);
            let quad = if quad > 0.0 { quad } else { TAU };
            if low[k] && diff > 0.0 && diff * diff / quad >= best {
                (best, j) = (diff * diff / quad, k);
            }
        }
        ((i, top), (j, gmin))
    }

    #[test]
    fn lanes_find_what_one_sequential_scan_finds_ties_included() {
        for len in [0, 1, 3, 4, 5, 17, 64, 1001] {
            // Values repeat (ties across lanes), flags vary, the kernel row is small.
            let v: Vec<f64> = (0..len)
                .map(|k| ((k * 7) % 13) as f64 * 0.25 - 1.0)
                .collect();
            let up: Vec<bool> = (0..len).map(|k| k % 3 != 0).collect();
            let low: Vec<bool> = (0..len).map(|k| k % 5 != 1).collect();
            let diag = vec![1.0; len];
            let ki: Vec<f32> = (0..len).map(|k| ((k * 11) % 4) as f32 * 0.25).collect();
            let zeros = vec![0.0f32; len];
            let (want_i, want_j) = sequential(&v, &up, &low, &diag, &ki, 1.5, 1.0);
            let mut updated = v.clone();
            // A step of size zero leaves v as it is and reports the largest v in I_up.
            assert_eq!(
                update(&mut updated, &up, &zeros, &zeros, 0.0, 0.0),
                want_i,
                "len {len}"
            );
            assert_eq!(updated, v);
            assert_eq!(second(&v, &low, &diag, &ki, 1.5, 1.0), want_j, "len {len}");
        }
    }

    #[test]
    fn the_update_subtracts_both_rows() {
        let mut v = vec![1.0, 2.0, 3.0, 4.0, 5.0];
        let up = [true, true, false, true, false];
        let ki = [1.0, 0.5, 0.0, 0.25, 1.0];
        let kj = [0.0, 1.0, 1.0, 0.5, 0.0];
        let (k, top) = update(&mut v, &up, &ki, &kj, 2.0, -1.0);
        assert_eq!(v, vec![-1.0, 2.0, 4.0, 4.0, 3.0]);
        assert_eq!((k, top), (3, 4.0));
    }

    /// The AVX2 groups and the lanes one variable at a time give the same bits.
    #[test]
    fn whole_groups_and_single_variables_agree() {
        let len = 1003;
        let v: Vec<f64> = (0..len)
            .map(|k| ((k * 37) % 101) as f64 / 7.0 - 5.0)
            .collect();
        let up: Vec<bool> = (0..len).map(|k| k % 4 != 2).collect();
        let low: Vec<bool> = (0..len).map(|k| k % 6 != 3).collect();
        let diag: Vec<f64> = (0..len).map(|k| 1.0 + (k % 3) as f64 * 0.1).collect();
        let ki: Vec<f32> = (0..len).map(|k| ((k * 13) % 17) as f32 / 17.0).collect();
        let kj: Vec<f32> = (0..len).map(|k| ((k * 5) % 11) as f32 / 11.0).collect();
        let mut single = v.clone();
        let mut lanes = Update::new(&mut single, &up, &ki, &kj, 0.3, -0.7);
        for k in 0..len {
            lanes.visit(k % LANES, k);
        }
        let one_at_a_time = lanes.answer();
        let mut grouped = v.clone();
        assert_eq!(
            update(&mut grouped, &up, &ki, &kj, 0.3, -0.7),
            one_at_a_time
        );
        assert_eq!(single, grouped);
        let mut lanes = Second::new(&v, &low, &diag, &ki, 2.0, 1.0);
        for k in 0..len {
            lanes.visit(k % LANES, k);
        }
        assert_eq!(second(&v, &low, &diag, &ki, 2.0, 1.0), lanes.answer());
    }
}
