//! The lab: real nginx, HAProxy and Caddy on loopback in front of deliberately faulty backends, a
//! traffic driver with ground truth per request id, and the scoring of culprit's per-request
//! diagnoses against that truth. `lab/run` is the demo; `tests/lab.rs` holds culprit to it.

pub mod backend;
pub mod driver;
pub mod lab;
pub mod proxy;
pub mod scenario;
pub mod score;
