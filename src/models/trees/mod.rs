//! Tree families: the CART growth engine ([`cart`]), forests of its trees ([`forest`]), and the two
//! families built on them, which share presorted columns and unlimited trees across the trials of a fold.

pub mod cart;
pub mod columns;
pub mod decision_tree;
pub mod forest;
mod histogram;
mod impurity;
pub mod random_forest;
