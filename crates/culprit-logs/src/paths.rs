//! Path templates: `/users/42/orders/9f1c…` → `/users/{id}/orders/{hash}`, so that errors group by
//! route rather than by URL. The query string is dropped.

/// Append the template of `target` to `out`.
pub fn template_into(target: &[u8], out: &mut Vec<u8>) {
    let path = match memchr::memchr2(b'?', b'#', target) {
        Some(i) => &target[..i],
        None => target,
    };
    if path.is_empty() || path == b"-" {
        out.push(b'-');
        return;
    }
    if path[0] != b'/' {
        out.extend_from_slice(b"{non-path}");
        return;
    }
    for (i, seg) in path.split(|&b| b == b'/').enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        match classify(seg) {
            Some(placeholder) => out.extend_from_slice(placeholder),
            None => out.extend_from_slice(seg),
        }
        if out.len() > 200 {
            out.truncate(200);
            out.extend_from_slice(b"...");
            return;
        }
    }
}

pub fn template(target: &[u8]) -> String {
    let mut out = Vec::with_capacity(target.len());
    template_into(target, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The placeholder a segment collapses to, if it looks like an identifier.
fn classify(seg: &[u8]) -> Option<&'static [u8]> {
    if seg.is_empty() {
        return None;
    }
    let digits = seg.iter().filter(|b| b.is_ascii_digit()).count();
    if digits == seg.len() {
        return Some(b"{id}");
    }
    if seg.len() == 36 && seg[8] == b'-' && seg[13] == b'-' && seg.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-') {
        return Some(b"{uuid}");
    }
    if seg.len() >= 8 && digits > 0 && seg.iter().all(u8::is_ascii_hexdigit) {
        return Some(b"{hash}");
    }
    // Long tokens mixing letters and digits (base64 ids, slugs with numbers, emails).
    if seg.len() >= 16
        && digits >= 2
        && seg.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'=' | b'.' | b'@'))
    {
        return Some(b"{token}");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::template;

    #[test]
    fn collapses_ids() {
        assert_eq!(template(b"/users/42"), "/users/{id}");
        assert_eq!(template(b"/users/42/orders?x=1"), "/users/{id}/orders");
        assert_eq!(template(b"/o/3f2b8c9d-1a2b-4c3d-9e8f-0a1b2c3d4e5f"), "/o/{uuid}");
        assert_eq!(template(b"/blob/9f1c2e3d4a5b"), "/blob/{hash}");
        assert_eq!(template(b"/api/v1/health"), "/api/v1/health");
        assert_eq!(template(b"/t/aGVsbG8gd29ybGQ2MDAx"), "/t/{token}");
        assert_eq!(template(b""), "-");
        assert_eq!(template(b"*"), "{non-path}");
    }
}
