//! Families fitted by linfa's own estimators, wrapped behind [`ModelFamily`](super::ModelFamily).

pub mod gaussian_nb;
