//! The shared vocabulary: layers, owners, who generated a response, status classes.
//!
//! These names appear in JSON output and (later) metrics labels, so their serialized forms are a
//! stable interface: snake_case, never renamed.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A layer of the request path, outermost first. Each layer can generate a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    Client,
    Cdn,
    LoadBalancer,
    Ingress,
    Mesh,
    Service,
    Pod,
    App,
    Dependency,
}

impl Layer {
    pub const ALL: [Layer; 9] = [
        Layer::Client,
        Layer::Cdn,
        Layer::LoadBalancer,
        Layer::Ingress,
        Layer::Mesh,
        Layer::Service,
        Layer::Pod,
        Layer::App,
        Layer::Dependency,
    ];

    /// The stable identifier, as in JSON.
    pub fn id(self) -> &'static str {
        match self {
            Layer::Client => "client",
            Layer::Cdn => "cdn",
            Layer::LoadBalancer => "load_balancer",
            Layer::Ingress => "ingress",
            Layer::Mesh => "mesh",
            Layer::Service => "service",
            Layer::Pod => "pod",
            Layer::App => "app",
            Layer::Dependency => "dependency",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Who looks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    /// Platform / infrastructure / SRE.
    Devops,
    /// The application team.
    Developer,
    /// Both need to look: typically the platform sees the symptom, the app holds the cause.
    Both,
    /// Nothing to fix server-side.
    None,
}

impl Owner {
    pub fn id(self) -> &'static str {
        match self {
            Owner::Devops => "devops",
            Owner::Developer => "developer",
            Owner::Both => "both",
            Owner::None => "none",
        }
    }

    /// Who looks first, as a sentence (without its full stop) for a headline.
    pub fn looks_first(self) -> &'static str {
        match self {
            Owner::Devops => "DevOps / platform looks first",
            Owner::Developer => "the app team looks first",
            Owner::Both => "the platform and app teams look together",
            Owner::None => "nothing to fix server-side",
        }
    }

    /// How a person would say it in a report.
    pub fn label(self) -> &'static str {
        match self {
            Owner::Devops => "DevOps / platform",
            Owner::Developer => "Developers (app team)",
            Owner::Both => "Both (platform + app team)",
            Owner::None => "Nobody (nothing to fix server-side)",
        }
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Which party wrote the status of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GeneratedBy {
    /// The client gave up; no response was delivered (nginx 499, ALB 460).
    Client,
    Cdn,
    LoadBalancer,
    /// The proxy whose log this is made the code itself.
    Proxy,
    /// The proxy passed through what the upstream sent.
    Upstream,
}

impl GeneratedBy {
    pub fn id(self) -> &'static str {
        match self {
            GeneratedBy::Client => "client",
            GeneratedBy::Cdn => "cdn",
            GeneratedBy::LoadBalancer => "load_balancer",
            GeneratedBy::Proxy => "proxy",
            GeneratedBy::Upstream => "upstream",
        }
    }
}

impl fmt::Display for GeneratedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The class of a status code (its first digit), for codes 100–599.
pub fn class_of(code: u16) -> Option<u8> {
    if (100..=599).contains(&code) { u8::try_from(code / 100).ok() } else { None }
}
