//! Tree families: the CART growth engine ([`cart`]) and the trees it grows ([`tree`]), forests of
//! them ([`forest`]), and the two families built on them ([`decision_tree`], [`random_forest`],
//! sharing [`shared`]), which share presorted columns and unlimited trees across the trials of a fold.
//! Imports run one way: split <- impurity <- histogram <- columns <- cart <- forest <- families.

pub mod cart;
pub mod columns;
pub mod decision_tree;
pub mod forest;
mod histogram;
mod impurity;
pub mod random_forest;
pub mod shared;
mod split;
pub mod tree;
