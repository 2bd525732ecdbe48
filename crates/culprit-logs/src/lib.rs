//! culprit's log engine: reads proxy and load-balancer logs and attributes every error to the layer
//! that generated it, a cause from the knowledge base, and an owner; aggregates mergeably and finds
//! incidents.
//!
//! Shape (DESIGN.md): sync, std threads, no tokio/clap/terminal code.
//! - `formats/` turn one line's bytes into an [`Observation`] (zero-copy);
//! - `attribute` turns an observation into an attribution (uses `culprit-kb` ids);
//! - `stats` aggregates per time bucket, service, upstream, path and cause, mergeably;
//! - `incidents` compares each service's error rate per cause with its own baseline.

pub mod attribute;
pub mod engine;
pub mod formats;
#[doc(hidden)]
pub mod fuzzing;
pub mod incidents;
pub mod input;
pub mod join;
pub mod observation;
pub mod paths;
pub mod pipeline;
pub mod redirects;
pub mod report;
pub mod scan;
pub mod stats;
pub mod time;
pub mod wrapper;

pub use engine::{Analysis, Filter, Options, analyze};
pub use observation::{Attempt, JoinQuality, Observation, Signal, Signals, UpstreamLists, attempts, last_attempt};
pub use pipeline::Analyzer;
