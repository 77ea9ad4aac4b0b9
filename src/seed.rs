//! Seeds: every random choice in a sweep draws from a seed derived here, so numbers depend only on
//! the master seed and stable labels (trial keys), never on order, threads or backend.

use sha2::{Digest, Sha256};

/// 64 bits of sha256 over the master seed and a label: stable across platforms and releases.
pub fn derive_seed(master: u64, label: &str) -> u64 {
    let digest = Sha256::digest(format!("{master}/{label}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes)
}

/// 64 bits identifying a trial key, for duplicate checks and fingerprints without keeping the keys.
pub fn key_hash(key: &str) -> u64 {
    derive_seed(0, key)
}

/// splitmix64: a well-mixed seed for child `index` of something seeded with `seed` (a forest's trees).
pub fn child_seed(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_seeds_are_stable_and_label_specific() {
        // Pinned: changing the derivation would change every recorded result.
        assert_eq!(derive_seed(0, "svm(c=1.0)"), derive_seed(0, "svm(c=1.0)"));
        assert_ne!(derive_seed(0, "a"), derive_seed(1, "a"));
        assert_ne!(child_seed(7, 0), child_seed(7, 1));
    }
}
