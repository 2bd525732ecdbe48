//! culprit's live mode (`culprit watch`): the streaming face of the log engine fed by a tailer.
//!
//! - [`metrics`]: every metric name, type, label and help text `watch` exposes — one place, read
//!   by `culprit rules` and the docs (docs/watch.md);
//! - [`discovery`]: files, directories and globs, expanded at every rescan;
//! - [`fingerprint`]: a file's identity beyond device and inode;
//! - [`tailer`]: following files through rotation, truncation, deletion and restarts;
//! - [`checkpoint`]: offsets and counters, written atomically to the state directory;
//! - [`events`]: incidents opening, moving and closing as the data arrives;
//! - [`exposition`]: `/metrics` through prometheus-client;
//! - [`engine`]: the thread that owns all of it; [`server`]: HTTP and signals.
//!
//! The log engine stays sync (DESIGN.md); only [`server`] runs a (small) tokio runtime.

pub mod checkpoint;
pub mod discovery;
pub mod engine;
pub mod events;
pub mod exposition;
pub mod fingerprint;
pub mod metrics;
pub mod server;
pub mod tailer;
