//! The page shell and the small pieces every page uses (owner badges, command boxes with copy
//! buttons, the placeholder fields).

use crate::assets;
use axum::http::StatusCode;
use axum::response::Response;
use culprit_kb::{Check, Layer, Owner};
use maud::{DOCTYPE, Markup, html};
use std::fmt::Write as _;

/// A served page: stylesheet and script as files from this server.
pub fn shell(title: &str, body: &Markup) -> Markup {
    let v = assets::version();
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // No icon to fetch: an empty one keeps browsers from asking for /favicon.ico.
                link rel="icon" href="data:,";
                title { (title) " · culprit" }
                link rel="stylesheet" href={ "/assets/app.css?v=" (v) };
                script src={ "/assets/app.js?v=" (v) } defer {}
            }
            body {
                (nav())
                main { (body) }
                footer { "culprit — which layer generated this status code, why, and who owns the fix. Served from this machine; nothing leaves it." }
            }
        }
    }
}

fn nav() -> Markup {
    html! {
        header.top {
            a.brand href="/" { "culprit" }
            a href="/" { "Search" }
            a href="/tree/5xx" { "5xx tree" }
            a href="/tree/4xx" { "4xx tree" }
            a href="/chain" { "Debugging chain" }
            a href="/matrix" { "DevOps vs Developer" }
            a href="/mistakes" { "Mistakes" }
            a href="/practice" { "Practice" }
            a href="/logs" { "Logs" }
            a href="/cluster" { "Cluster" }
            form.navsearch method="get" action="/" role="search" {
                input type="search" name="q" placeholder="502, UF, a log message…" aria-label="Search the knowledge base";
            }
        }
    }
}

pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = html! {
        div.card.error-page {
            h1 { (status.as_u16()) " — " (title) }
            p { (message) }
            p { a href="/" { "Back to the search" } }
        }
    };
    crate::html_response(status, shell(title, &body).into_string())
}

pub fn owner_badge(owner: Owner) -> Markup {
    let class = match owner {
        Owner::Devops => "devops",
        Owner::Developer => "developer",
        Owner::Both => "both",
        Owner::None => "none",
    };
    html! { span class={ "badge " (class) } title="who looks first" { (owner.label()) } }
}

/// A layer as people name it: the knowledge base's title up to its first " / " ("Ingress
/// controller / reverse proxy" → "Ingress controller"), the id if the base has no title for it.
pub fn layer_name(layer: Layer) -> &'static str {
    culprit_kb::kb().layer(layer).map_or(layer.id(), |l| l.title.split(" / ").next().unwrap_or(&l.title))
}

/// The owner badge in a short form, for dense tables (the full label is its tooltip).
pub fn owner_badge_short(owner: Owner) -> Markup {
    let short = match owner {
        Owner::Devops => "DevOps",
        Owner::Developer => "Developers",
        Owner::Both => "Both",
        Owner::None => "Nobody",
    };
    html! { span class={ "badge " (owner.id()) } title=(owner.label()) { (short) } }
}

pub fn layer_badge(layer: Layer) -> Markup {
    let title = culprit_kb::kb().layer(layer).map_or(layer.id(), |l| l.title.as_str());
    html! { a.badge.layer href={ "/id/" (layer.id()) } title={ (title) " (" (layer.id()) ")" } { (layer_name(layer)) } }
}

pub fn status(code: u16) -> Markup {
    let class = match code / 100 {
        2 => "s2",
        3 => "s3",
        4 => "s4",
        5 => "s5",
        _ => "",
    };
    html! { a class={ "status " (class) } href={ "/code/" (code) } { (code) } }
}

pub fn cause_link(id: &str) -> Markup {
    html! { a href={ "/id/" (id) } { code { (id) } } }
}

/// Values for the placeholders of commands (`<namespace>`…), from the page's query string.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Fills {
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub pod: Option<String>,
    #[serde(default)]
    pub host: Option<String>,
}

impl Fills {
    pub const NAMES: [&'static str; 4] = ["namespace", "service", "pod", "host"];

    pub fn get(&self, name: &str) -> Option<&str> {
        match name {
            "namespace" => self.namespace.as_deref(),
            "service" => self.service.as_deref(),
            "pod" => self.pod.as_deref(),
            "host" => self.host.as_deref(),
            _ => None,
        }
        .map(str::trim)
        .filter(|v| !v.is_empty())
    }

    pub fn fill(&self, command: &str) -> String {
        let mut out = command.to_string();
        for name in Self::NAMES {
            if let Some(v) = self.get(name) {
                out = out.replace(&format!("<{name}>"), v);
            }
        }
        out
    }

    /// The filled fields as a query string tail (`&namespace=shop`), for links that keep them.
    pub fn query(&self) -> String {
        let mut out = String::new();
        for name in Self::NAMES {
            if let Some(v) = self.get(name) {
                out.push('&');
                out.push_str(name);
                out.push('=');
                out.push_str(&url_encode(v));
            }
        }
        out
    }
}

pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The fields that fill every command on the page. A GET form (works without script, and the
/// filled page's URL can be shared); the script fills as you type.
pub fn fields_form(fills: &Fills, hidden: &[(&str, &str)]) -> Markup {
    html! {
        form.fields method="get" {
            @for (k, v) in hidden { input type="hidden" name=(k) value=(v); }
            @for name in Fills::NAMES {
                label { (name) input type="text" name=(name) data-fill=(name) value=[fills.get(name)] placeholder={ "<" (name) ">" }; }
            }
            button type="submit" { "Fill the commands" }
        }
    }
}

/// A command with its copy button; `data-template` keeps the placeholders for live filling.
pub fn command(command: &str, fills: &Fills) -> Markup {
    html! {
        div.cmdbox {
            pre { code data-template=(command) { (fills.fill(command)) } }
            button.copy type="button" data-copy { "Copy" }
        }
    }
}

/// A check: title, layer, command, what to look for.
pub fn check(c: &Check, fills: &Fills) -> Markup {
    html! {
        div.card {
            h3 { a href={ "/id/" (c.id) } { (c.title) } " " (layer_badge(c.layer)) }
            (command(&c.command, fills))
            p.small { strong { "Look for: " } (c.look_for) }
            @if let Some(h) = &c.on_hosts { p.small.muted { "Without Kubernetes: " a href={ "/id/" (h) } { code { (h) } } " (the same check on hosts)" } }
        }
    }
}

/// Text that may hold YAML or commands: shown as preformatted when it spans lines.
pub fn prose_or_code(text: &str) -> Markup {
    html! {
        @if text.contains('\n') { pre { code { (text) } } } @else { p { (text) } }
    }
}
