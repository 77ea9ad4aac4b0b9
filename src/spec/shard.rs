//! Shards: a sweep's trials split over machines (`--shard I/N`). Trial n of the sweep's stable listing
//! (model entry by model entry) belongs to shard n mod N + 1, so N shards hold every trial exactly once,
//! each family is dealt round-robin (a shard's count of it is within one of any other's), and the
//! families' remainders go to successive shards. Shard costs therefore differ by at most one trial of
//! each family, whatever a family costs.

use serde::{Deserialize, Serialize};

/// The most shards a sweep splits into.
pub const MAX_SHARDS: usize = 100_000;

/// Shard `index` (from 1) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Whether the trial at `position` of the sweep's listing is this shard's.
    pub fn holds(self, position: usize) -> bool {
        position % self.count == self.index - 1
    }

    /// Its folder under a sharded run's `shards/`: `2-of-8`.
    pub fn folder(self) -> String {
        format!("{}-of-{}", self.index, self.count)
    }

    /// The shard a `shards/` folder name stands for.
    pub fn from_folder(name: &str) -> Option<Shard> {
        let (i, n) = name.split_once("-of-")?;
        format!("{i}/{n}").parse().ok()
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || {
            format!("`{s}`: expected I/N, shard I of N, with 1 <= I <= N <= {MAX_SHARDS}, e.g. 3/8")
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (usize, usize) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || index > count || count > MAX_SHARDS {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_name_their_folders() {
        let s: Shard = "3/8".parse().unwrap();
        assert_eq!(s, Shard { index: 3, count: 8 });
        assert_eq!(Shard::from_folder(&s.folder()), Some(s));
        for bad in ["0/4", "5/4", "1/0", "x/2", "2", "1/100001"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_position_is_in_exactly_one_shard_for_any_count() {
        for count in 1..=64 {
            for position in 0..500 {
                let holders = (1..=count)
                    .filter(|&index| Shard { index, count }.holds(position))
                    .count();
                assert_eq!(holders, 1, "position {position} of {count} shards");
            }
        }
    }
}
