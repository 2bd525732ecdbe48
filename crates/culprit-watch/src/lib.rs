//! culprit's live mode (`culprit watch`): the streaming face of the log engine fed by a tailer.
//!
//! - [`metrics`]: every metric name, type, label and help text `watch` exposes — one place, read
//!   by `culprit rules` and the docs (docs/watch.md).

pub mod metrics;
