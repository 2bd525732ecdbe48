//! Events: what the kubelet and the controllers said about an object (probe failures, back-offs,
//! scheduling failures). Read from `kubectl get events -o json` in either shape, core `v1` or
//! `events.k8s.io/v1`, so a snapshot taken by someone else during the incident keeps its story.

use serde_json::Value;

/// One event, in the fields culprit uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub namespace: String,
    /// The object the event is about: kind and name.
    pub kind: String,
    pub name: String,
    /// `Warning` (rather than `Normal`).
    pub warning: bool,
    pub reason: String,
    pub message: String,
    /// How often it happened (`count`, `series.count` or `deprecatedCount`; 1 when absent).
    pub count: u32,
    /// When it last happened (RFC 3339), if the event says.
    pub last: Option<String>,
}

/// What an event says about the route, when it says something culprit acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// The readiness probe fails: the pod leaves the endpoints.
    ReadinessFailing,
    /// The liveness probe fails: the kubelet restarts the container.
    LivenessFailing,
    /// The pod cannot be placed on a node.
    Unschedulable,
    /// The kubelet backs off restarting a crashing container.
    BackOff,
}

impl Event {
    /// Reads a core/v1 or events.k8s.io/v1 Event; `None` when it names no object.
    pub fn from_value(v: &Value) -> Option<Event> {
        let s = |p: &str| v.pointer(p).and_then(Value::as_str);
        let about = v.get("involvedObject").or_else(|| v.get("regarding"))?;
        let name = about.get("name").and_then(Value::as_str)?.to_owned();
        let kind = about.get("kind").and_then(Value::as_str).unwrap_or("").to_owned();
        let namespace = about
            .get("namespace")
            .and_then(Value::as_str)
            .or_else(|| s("/metadata/namespace"))
            .unwrap_or("")
            .to_owned();
        let count = ["/series/count", "/count", "/deprecatedCount"]
            .iter()
            .find_map(|p| v.pointer(p).and_then(Value::as_u64))
            .map_or(1, |c| u32::try_from(c).unwrap_or(u32::MAX));
        let last = ["/series/lastObservedTime", "/lastTimestamp", "/deprecatedLastTimestamp", "/eventTime"]
            .iter()
            .find_map(|p| s(p))
            .map(str::to_owned);
        Some(Event {
            namespace,
            kind,
            name,
            warning: s("/type") == Some("Warning"),
            reason: s("/reason").unwrap_or("").to_owned(),
            message: s("/message").or_else(|| s("/note")).unwrap_or("").trim().to_owned(),
            count,
            last,
        })
    }

    pub fn signal(&self) -> Option<Signal> {
        match self.reason.as_str() {
            "Unhealthy" if self.message.starts_with("Readiness probe") => Some(Signal::ReadinessFailing),
            "Unhealthy" if self.message.starts_with("Liveness probe") => Some(Signal::LivenessFailing),
            "FailedScheduling" => Some(Signal::Unschedulable),
            "BackOff" => Some(Signal::BackOff),
            _ => None,
        }
    }

    /// `Unhealthy ×12 (last 2026-03-08T14:02:11Z): Readiness probe failed: …`
    pub fn summary(&self) -> String {
        let count = if self.count > 1 { format!(" ×{}", self.count) } else { String::new() };
        let last = self.last.as_deref().map(|l| format!(" (last {l})")).unwrap_or_default();
        let message: String = self.message.chars().take(160).collect();
        format!("{}{count}{last}: {message}", self.reason)
    }
}

/// Warning events about one object, most recent first.
pub fn warnings_about<'a>(events: &'a [Event], kind: &str, namespace: &str, name: &str) -> Vec<&'a Event> {
    let mut out: Vec<&Event> =
        events.iter().filter(|e| e.warning && e.kind == kind && e.namespace == namespace && e.name == name).collect();
    // RFC 3339 times in UTC sort as text.
    out.sort_by(|a, b| b.last.cmp(&a.last));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_event_apis() {
        let core = json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "p.17", "namespace": "shop"},
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": "shop"}, "type": "Warning", "reason": "Unhealthy",
            "message": "Readiness probe failed: HTTP probe failed with statuscode: 503", "count": 12,
            "lastTimestamp": "2026-03-08T14:02:11Z"});
        let e = Event::from_value(&core).unwrap();
        assert_eq!((e.kind.as_str(), e.name.as_str(), e.count, e.warning), ("Pod", "p", 12, true));
        assert_eq!(e.signal(), Some(Signal::ReadinessFailing));
        assert_eq!(
            e.summary(),
            "Unhealthy ×12 (last 2026-03-08T14:02:11Z): Readiness probe failed: HTTP probe failed with statuscode: 503"
        );
        let new = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "q.1", "namespace": "shop"},
            "regarding": {"kind": "Pod", "name": "q", "namespace": "shop"}, "type": "Warning", "reason": "FailedScheduling",
            "note": "0/3 nodes are available: 3 Insufficient memory.", "eventTime": "2026-03-08T14:00:00.000000Z",
            "series": {"count": 4, "lastObservedTime": "2026-03-08T14:03:00.000000Z"}});
        let e = Event::from_value(&new).unwrap();
        assert_eq!((e.name.as_str(), e.count), ("q", 4));
        assert_eq!(e.last.as_deref(), Some("2026-03-08T14:03:00.000000Z"));
        assert_eq!(e.signal(), Some(Signal::Unschedulable));
        assert!(Event::from_value(&json!({"kind": "Event"})).is_none());
    }
}
