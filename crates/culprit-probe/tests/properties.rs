//! Property tests: whatever a server sends, the analyses return; whatever a user types, parsing
//! returns a value or an error.

use culprit_probe::fuzzing::{analyse_response, parse_inputs};
use proptest::prelude::*;

/// Header lines built from the names the analyses look at, with arbitrary values.
fn header_lines() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec![
        "Retry-After",
        "X-RateLimit-Reset",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining-Minute",
        "RateLimit",
        "RateLimit-Policy",
        "RateLimit-Reset",
        "Server",
        "Location",
        "Content-Type",
        "Via",
        "x-envoy-upstream-service-time",
    ]);
    prop::collection::vec((names, "\\PC{0,40}"), 0..8)
        .prop_map(|hs| hs.into_iter().flat_map(|(n, v)| [n.to_owned(), ": ".into(), v, "\n".into()]).collect())
}

proptest! {
    #[test]
    fn analyses_never_panic(status in 100u16..600, head in header_lines(), body in "\\PC{0,200}") {
        analyse_response(status, format!("{head}\n{body}").as_bytes());
    }

    #[test]
    fn raw_bytes_never_panic(status in 0u16..1000, data in prop::collection::vec(any::<u8>(), 0..400)) {
        analyse_response(status, &data);
    }

    #[test]
    fn inputs_never_panic(text in "\\PC{0,80}") {
        parse_inputs(&text);
    }

    #[test]
    fn numeric_resets_are_read(n in 0u64..4_000_000_000_000) {
        let data = format!("X-RateLimit-Reset: {n}\n\n");
        prop_assert!(analyse_response(429, data.as_bytes()) >= 1);
    }
}
