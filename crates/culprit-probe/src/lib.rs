//! `culprit probe`: one HTTP request like `curl -v`, and what it means — phase timings, the
//! redirect chain judged hop by hop, which layer answered (fingerprints from the knowledge base),
//! rate-limit headers decoded, API hygiene, and bisection along the request path.
//!
//! The network part runs on a single-threaded tokio runtime inside [`probe::run`]; callers stay
//! synchronous.

pub mod bisect;
pub mod exchange;
pub mod fingerprint;
pub mod fuzzing;
pub mod lint;
pub mod options;
pub mod probe;
pub mod ratelimit;
pub mod redirect;
pub mod secrets;
pub mod tls;

pub use options::Options;
pub use probe::{ProbeReport, run};
