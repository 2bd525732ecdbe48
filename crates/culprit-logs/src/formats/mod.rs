//! Log formats: each turns one line into an [`Observation`](crate::Observation).

pub mod nginx;
