//! Error logs, behind one interface: a proxy's error log says *why* it generated a status that
//! its access log only records. Each registered error-log format turns a line into an
//! [`ErrorEntry`] (who asked for what, which upstream, when, the message and what it stands for);
//! the join (`crate::join`) knows nothing else about them.

use crate::observation::Signal;

/// One error-log entry, borrowed from its line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErrorEntry<'a> {
    pub time_ms: i64,
    /// The time was written in the server's local time, without a zone (nginx): the join compares
    /// it with the access line's own local time.
    pub local_time: bool,
    pub client: &'a [u8],
    /// The client's port, when the entry names it (Apache's `[client 10.0.0.1:53768]`): with an
    /// access line that logs it too, the join is exact.
    pub client_port: &'a [u8],
    pub method: &'a [u8],
    pub target: &'a [u8],
    /// The upstream the message names (`10.0.0.1:8080`), empty when it names none.
    pub upstream: &'a [u8],
    pub message: &'a [u8],
    /// What the message stands for; `None` when culprit does not know the message.
    pub signal: Option<Signal>,
    /// The proxy writes an entry for every response it generates itself (Caddy): even an unknown
    /// message says the proxy answered.
    pub own_answers: bool,
    /// The process and thread that wrote it (Apache's `[pid P:tid T]`, hashed; 0: not named):
    /// consecutive entries of one thread are about one request, and an entry that names no
    /// client (Apache's `AH00957 … (111)Connection refused`) says why the next one failed.
    pub thread: u64,
}

impl ErrorEntry<'_> {
    /// The signal the join applies: the message's, or — for a proxy that logs every answer it
    /// makes — "the proxy answered, for a reason culprit does not know".
    pub fn join_signal(&self) -> Option<Signal> {
        self.signal.or(self.own_answers.then_some(Signal::ProxyError))
    }
}

/// One registered error-log format.
#[derive(Debug, Clone, Copy)]
pub struct ErrorLogSpec {
    pub name: &'static str,
    /// A quick test, run on every line of a stream that may interleave error lines.
    pub is_line: fn(&[u8]) -> bool,
    pub parse: for<'a> fn(&'a [u8]) -> Option<ErrorEntry<'a>>,
}

/// Every error-log format culprit joins.
pub const ERROR_LOGS: &[ErrorLogSpec] = &[
    ErrorLogSpec {
        name: "nginx error log",
        is_line: super::nginx_error::is_error_line,
        parse: super::nginx_error::entry,
    },
    ErrorLogSpec {
        name: "Apache error log",
        is_line: super::apache_error::is_error_line,
        parse: super::apache_error::entry,
    },
    ErrorLogSpec {
        name: "Caddy error log",
        is_line: super::json::is_caddy_error,
        parse: super::json::caddy_error_entry,
    },
];

/// Whether the line is an error-log line of any registered format.
pub fn is_error_line(line: &[u8]) -> bool {
    ERROR_LOGS.iter().any(|s| (s.is_line)(line))
}

/// The entry in an error-log line, with the name of its format.
pub fn parse(line: &[u8]) -> Option<(ErrorEntry<'_>, &'static str)> {
    ERROR_LOGS.iter().find(|s| (s.is_line)(line)).and_then(|s| Some(((s.parse)(line)?, s.name)))
}
