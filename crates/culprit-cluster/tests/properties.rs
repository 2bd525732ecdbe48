//! Property tests: whatever a dump holds, loading, tracing and checking return.

use culprit_cluster::snapshot::Snapshot;
use culprit_cluster::{checks, route};
use proptest::prelude::*;

/// Objects of the kinds culprit reads, with fields of the right names and arbitrary JSON values.
fn object() -> impl Strategy<Value = String> {
    let kind = prop::sample::select(vec![
        "Ingress",
        "Service",
        "EndpointSlice",
        "Endpoints",
        "Pod",
        "Deployment",
        "List",
        "Other",
    ]);
    let value = prop_oneof![
        Just("null".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("\"x\"".to_owned()),
        Just("7".to_owned()),
        Just(r#"{"app":"a"}"#.to_owned()),
        Just(r#"[{"port":80,"targetPort":"http"}]"#.to_owned()),
        Just(r#"{"rules":[{"host":"a.b","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"s","port":{"number":80}}}}]}}]}"#.to_owned()),
    ];
    (kind, value.clone(), value.clone(), value).prop_map(|(k, spec, status, items)| {
        format!(r#"{{"kind":"{k}","metadata":{{"name":"n","namespace":"ns","labels":{{"app":"a"}}}},"spec":{spec},"status":{status},"items":{items}}}"#)
    })
}

proptest! {
    #[test]
    fn loading_tracing_and_checking_never_panic(objects in prop::collection::vec(object(), 0..12), path in "/[a-z/]{0,10}") {
        let mut s = Snapshot::default();
        s.add_text("p.json", &objects.join("\n"));
        let _ = route::trace(&s, &format!("https://a.b{path}"), None, None);
        let _ = checks::check(&s, None);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let mut s = Snapshot::default();
        s.add_text("t.json", &text);
    }
}
