//! The verdict of a bisection: the same request sent to each entry point along the path, outermost
//! first (`--via cdn=… --via ingress=… --via pod=…`), and which one is where it breaks.
//!
//! The rule follows the path: a point fails because of itself or because of something behind it.
//! So the innermost point that fails is the culprit — when every point behind it works, it is that
//! point or its link to the next one; when it is the innermost point, it fails on its own (and an
//! application's own 5xx there means the application). One exception reads the times: a point that
//! gave up (504, or a 502 after a second or more) while the point behind it answers, but only after
//! longer than the first one waited, is not broken — the inner point is slower than the outer one's
//! timeout.

use std::fmt::Write as _;

/// What one entry point's answer says about the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointState {
    /// A complete answer that is not a server error (1xx–4xx).
    Answers { status: u16 },
    /// A 5xx the application wrote itself.
    AppError { status: u16 },
    /// A 5xx a proxy, load balancer or CDN wrote.
    ProxyError { status: u16 },
    /// No complete answer: refused, timed out, TLS failed, reset, or a body cut short.
    NoAnswer { timed_out: bool },
}

impl PointState {
    pub fn fails(self) -> bool {
        !matches!(self, PointState::Answers { .. })
    }

    fn status(self) -> Option<u16> {
        match self {
            PointState::Answers { status } | PointState::AppError { status } | PointState::ProxyError { status } => {
                Some(status)
            }
            PointState::NoAnswer { .. } => None,
        }
    }
}

/// The shape of the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// The innermost point fails by itself; the points in front of it fail because of it.
    FailsItself,
    /// The innermost point answers with the application's own 5xx: the application is the culprit.
    ApplicationError,
    /// A point fails while every point behind it works: that point, or its link to the next one.
    FailsInFront,
    /// A point gave up (504, or a 502 after a second or more) while the point behind it answers,
    /// but only after longer than the first one waited: the inner point is slower than the outer
    /// one's timeout (the inner point is slow, or the timeout too short).
    SlowerThanTimeout,
    /// Every point answered.
    NothingFailed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub finding: Finding,
    /// Index of the culprit point (for `SlowerThanTimeout`, the slow one).
    pub culprit: Option<usize>,
    /// For `SlowerThanTimeout`: the point that gave up waiting for it.
    pub gave_up: Option<usize>,
    /// Points in front of the culprit that answer although it fails: they do not send this
    /// request through it, or hide the failure (a cache, a retry elsewhere).
    pub masking: Vec<usize>,
}

/// A 502 this long after the request is a proxy's timeout, not a refusal or a reset (Apache's
/// `ProxyTimeout` answers 502). Proxies' timeouts are set in seconds.
const TIMEOUT_502_MS: f64 = 1000.0;
/// The inner point is slower than the outer one's timeout when it takes at least this share of the
/// time the outer one waited (the two requests start a little apart).
const SLOWER_SHARE: f64 = 0.9;

/// Where the path breaks, from each point's state and total time in ms (outermost first).
pub fn verdict(states: &[PointState], times_ms: &[f64]) -> Verdict {
    let Some(k) = states.iter().rposition(|s| s.fails()) else {
        return Verdict { finding: Finding::NothingFailed, culprit: None, gave_up: None, masking: Vec::new() };
    };
    let masking = (0..k).filter(|&i| !states[i].fails()).collect();
    let time = |i: usize| times_ms.get(i).copied().unwrap_or(0.0);
    if k + 1 < states.len() {
        let gave_up = match states[k] {
            PointState::ProxyError { status: 504 } => true,
            PointState::ProxyError { status: 502 } => time(k) >= TIMEOUT_502_MS,
            _ => false,
        };
        if gave_up && time(k) > 0.0 && time(k + 1) >= time(k) * SLOWER_SHARE {
            return Verdict { finding: Finding::SlowerThanTimeout, culprit: Some(k + 1), gave_up: Some(k), masking };
        }
    }
    let finding = if k + 1 < states.len() {
        Finding::FailsInFront
    } else if matches!(states[k], PointState::AppError { .. }) {
        Finding::ApplicationError
    } else {
        Finding::FailsItself
    };
    Verdict { finding, culprit: Some(k), gave_up: None, masking }
}

/// One point as the verdict's sentence names it.
#[derive(Debug, Clone)]
pub struct PointView<'a> {
    pub name: &'a str,
    /// "502 Bad Gateway from nginx in 0.5 ms", "no answer (TCP connect: connection refused)".
    pub outcome: &'a str,
    pub state: PointState,
    pub total_ms: f64,
    /// The setting that bounds how long this point waits for the next one (`timeout server`),
    /// when the component that answered there is known.
    pub read_timeout: Option<&'a str>,
}

/// The verdict in words.
pub fn describe(points: &[PointView<'_>], v: &Verdict) -> String {
    let Some(k) = v.culprit else { return nothing_failed(points) };
    let p = &points[k];
    let mut text = match v.finding {
        Finding::FailsInFront => {
            let next = &points[k + 1];
            if matches!(p.state, PointState::AppError { .. }) {
                format!(
                    "{} gives {} while {} behind it gives {}: through {} the request reaches another \
                     backend than {}, or arrives changed (Host, path, headers) — the problem is at {} or \
                     in how it forwards",
                    p.name, p.outcome, next.name, next.outcome, p.name, next.name, p.name
                )
            } else {
                format!(
                    "{} gives {} while {} behind it gives {}: the problem is at {} (or on the way from it to {})",
                    p.name, p.outcome, next.name, next.outcome, p.name, next.name
                )
            }
        }
        Finding::ApplicationError => {
            format!("{} answers {}: the application itself is the culprit (read its logs)", p.name, p.outcome)
        }
        Finding::FailsItself => {
            format!("{} fails on its own — {}: the problem is at {}", p.name, p.outcome, p.name)
        }
        Finding::SlowerThanTimeout => {
            let outer = &points[v.gave_up.unwrap_or(k.saturating_sub(1))];
            let setting = outer.read_timeout.map_or_else(|| "timeout".to_owned(), |t| format!("`{t}`"));
            format!(
                "{} gives {} while {} behind it answers {}: {} is slower than the {} {} waits for it — {} \
                 is slow, or {}'s {setting} is too short",
                outer.name,
                outer.outcome,
                p.name,
                p.outcome,
                p.name,
                seconds(outer.total_ms),
                outer.name,
                p.name,
                outer.name
            )
        }
        Finding::NothingFailed => unreachable!("a culprit implies a failure"),
    };
    let following: Vec<String> =
        points[..k].iter().filter(|o| o.state.fails()).map(|o| format!("{}'s {}", o.name, o.outcome)).collect();
    let explained = matches!(v.finding, Finding::FailsInFront | Finding::SlowerThanTimeout);
    if !following.is_empty() && !explained {
        let verb = if following.len() == 1 { "follows" } else { "follow" };
        let _ = write!(text, "; {} {verb} from it", following.join(" and "));
    }
    if !v.masking.is_empty() && v.finding != Finding::SlowerThanTimeout {
        let names: Vec<&str> = v.masking.iter().map(|&i| points[i].name).collect();
        let _ = write!(
            text,
            ". {} {} although {} fails: {} not send this request through {}, or {} the failure (a cache, a \
             retry elsewhere)",
            names.join(" and "),
            if names.len() == 1 { "answers" } else { "answer" },
            p.name,
            if names.len() == 1 { "it does" } else { "they do" },
            p.name,
            if names.len() == 1 { "hides" } else { "hide" },
        );
    }
    text
}

/// `1.0 s`, `850 ms`.
fn seconds(ms: f64) -> String {
    if ms >= 1000.0 { format!("{:.1} s", ms / 1000.0) } else { format!("{ms:.0} ms") }
}

/// Every point answered: say so, then what differs between them (status, time).
fn nothing_failed(points: &[PointView<'_>]) -> String {
    let each: Vec<String> = points.iter().map(|p| format!("{} {}", p.name, p.outcome)).collect();
    let mut text = format!("Nothing failed along the path: {}", each.join("; "));
    for pair in points.windows(2) {
        let (outer, inner) = (&pair[0], &pair[1]);
        if let (Some(a), Some(b)) = (outer.state.status(), inner.state.status())
            && a != b
        {
            let _ = write!(
                text,
                ". {} answers {a} where {} answers {b}: {} handles this request differently (its routing \
                 rules, a redirect, authentication)",
                outer.name, inner.name, outer.name
            );
        }
    }
    // The largest time added by one point over the one behind it, when it dominates.
    let added = points
        .windows(2)
        .map(|w| (w[0].name, w[1].name, w[0].total_ms - w[1].total_ms, w[0].total_ms))
        .max_by(|a, b| a.2.total_cmp(&b.2));
    if let Some((outer, inner, extra, total)) = added
        && extra >= 20.0
        && extra >= total / 2.0
    {
        let _ = write!(text, ". Most of the time is added between {outer} and {inner} (+{extra:.0} ms)");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use PointState::{Answers, AppError, NoAnswer, ProxyError};

    fn culprit(states: &[PointState]) -> (Finding, Option<usize>) {
        let v = verdict(states, &[]);
        (v.finding, v.culprit)
    }

    #[test]
    fn inner_refuses_connections() {
        // The reported case: the ingress answers 502 because the pod refuses connections.
        let s = [ProxyError { status: 502 }, NoAnswer { timed_out: false }];
        assert_eq!(culprit(&s), (Finding::FailsItself, Some(1)));
    }

    #[test]
    fn inner_answers_with_the_application_5xx() {
        let s = [ProxyError { status: 502 }, AppError { status: 500 }];
        assert_eq!(culprit(&s), (Finding::ApplicationError, Some(1)));
        let s = [AppError { status: 500 }, AppError { status: 500 }];
        assert_eq!(culprit(&s), (Finding::ApplicationError, Some(1)));
    }

    #[test]
    fn only_the_outer_fails() {
        let s = [ProxyError { status: 502 }, Answers { status: 200 }];
        assert_eq!(culprit(&s), (Finding::FailsInFront, Some(0)));
        let s = [NoAnswer { timed_out: false }, Answers { status: 200 }];
        assert_eq!(culprit(&s), (Finding::FailsInFront, Some(0)));
    }

    #[test]
    fn both_answer() {
        let s = [Answers { status: 200 }, Answers { status: 200 }];
        assert_eq!(culprit(&s), (Finding::NothingFailed, None));
        // A 404 is an answer, not a failure of the path; the difference is said in words.
        let s = [Answers { status: 404 }, Answers { status: 200 }];
        assert_eq!(culprit(&s), (Finding::NothingFailed, None));
    }

    #[test]
    fn timeouts_count_as_failures() {
        let s = [ProxyError { status: 504 }, NoAnswer { timed_out: true }];
        assert_eq!(culprit(&s), (Finding::FailsItself, Some(1)));
        let s = [NoAnswer { timed_out: true }, Answers { status: 200 }];
        assert_eq!(culprit(&s), (Finding::FailsInFront, Some(0)));
        let s = [NoAnswer { timed_out: true }, NoAnswer { timed_out: true }];
        assert_eq!(culprit(&s), (Finding::FailsItself, Some(1)));
    }

    #[test]
    fn three_hops() {
        // cdn 502 → lb 502 → pod refused: the pod.
        let s = [ProxyError { status: 502 }, ProxyError { status: 502 }, NoAnswer { timed_out: false }];
        assert_eq!(culprit(&s), (Finding::FailsItself, Some(2)));
        // cdn 502 → lb 504 → pod 200: the load balancer (or its link to the pod).
        let s = [ProxyError { status: 502 }, ProxyError { status: 504 }, Answers { status: 200 }];
        assert_eq!(culprit(&s), (Finding::FailsInFront, Some(1)));
        // cdn 200 (cached) → lb 502 → pod 200: the load balancer; the CDN hides it.
        let s = [Answers { status: 200 }, ProxyError { status: 502 }, Answers { status: 200 }];
        let v = verdict(&s, &[]);
        assert_eq!((v.finding, v.culprit, v.masking), (Finding::FailsInFront, Some(1), vec![0]));
        // cdn 503 → lb 200 → pod refused: the pod is the innermost failure, the lb masks it.
        let s = [ProxyError { status: 503 }, Answers { status: 200 }, NoAnswer { timed_out: false }];
        let v = verdict(&s, &[]);
        assert_eq!((v.finding, v.culprit, v.masking), (Finding::FailsItself, Some(2), vec![1]));
    }

    #[test]
    fn verdicts_in_words() {
        let view = |name, outcome, state, total_ms| PointView { name, outcome, state, total_ms, read_timeout: None };
        let points = [
            view("ingress", "502 Bad Gateway from nginx in 0.5 ms", ProxyError { status: 502 }, 0.5),
            view("pod", "no answer (TCP connect: connection refused)", NoAnswer { timed_out: false }, 0.2),
        ];
        let text =
            describe(&points, &verdict(&[points[0].state, points[1].state], &[points[0].total_ms, points[1].total_ms]));
        assert!(text.starts_with("pod fails on its own"), "{text}");
        assert!(
            text.contains("the problem is at pod; ingress's 502 Bad Gateway from nginx in 0.5 ms follows"),
            "{text}"
        );
        let points = [
            view("ingress", "200 OK from the application in 80 ms", Answers { status: 200 }, 80.0),
            view("pod", "200 OK from the application in 2.0 ms", Answers { status: 200 }, 2.0),
        ];
        let text =
            describe(&points, &verdict(&[points[0].state, points[1].state], &[points[0].total_ms, points[1].total_ms]));
        assert!(text.starts_with("Nothing failed along the path"), "{text}");
        assert!(text.contains("between ingress and pod (+78 ms)"), "{text}");
    }

    #[test]
    fn an_inner_point_slower_than_the_outer_timeout() {
        // The reported case: HAProxy gives up at 1 s (504) while the backend answers after 3 s.
        let states = [ProxyError { status: 504 }, Answers { status: 200 }];
        let v = verdict(&states, &[1002.0, 3005.0]);
        assert_eq!((v.finding, v.culprit, v.gave_up), (Finding::SlowerThanTimeout, Some(1), Some(0)));
        let points = [
            PointView {
                name: "haproxy",
                outcome: "504 Gateway Time-out from HAProxy in 1002 ms",
                state: states[0],
                total_ms: 1002.0,
                read_timeout: Some("timeout server"),
            },
            PointView {
                name: "backend",
                outcome: "200 OK from the application in 3005 ms",
                state: states[1],
                total_ms: 3005.0,
                read_timeout: None,
            },
        ];
        let text = describe(&points, &v);
        assert!(
            text.contains("backend is slower than the 1.0 s haproxy waits for it")
                && text.contains("haproxy's `timeout server` is too short"),
            "{text}"
        );
        // A slow 502 (Apache's ProxyTimeout) reads the same; a quick 502 is a refusal, not a timeout.
        let states = [ProxyError { status: 502 }, Answers { status: 200 }];
        assert_eq!(verdict(&states, &[1001.0, 2500.0]).finding, Finding::SlowerThanTimeout);
        assert_eq!(verdict(&states, &[0.9, 30.0]).finding, Finding::FailsInFront);
        // A 504 while the inner point answers quickly: the outer point (or its link) is the problem.
        let states = [ProxyError { status: 504 }, Answers { status: 200 }];
        assert_eq!(verdict(&states, &[1000.0, 20.0]).finding, Finding::FailsInFront);
    }
}
