//! The snapshot read live through the user's kubeconfig, with the `kube` crate: list only (read
//! access), paginated with `continue`. A kind the credentials may not list is skipped and said so;
//! rejected credentials or an unreachable API server stop the run with the context and the call.

use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::core::GroupVersionKind;
use kube::{Client, Config};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::snapshot::Snapshot;

/// Objects per list page.
const PAGE: u32 = 500;

/// The RBAC rules `culprit cluster` needs (documented in the README).
pub const CLUSTER_ROLE: &str = "\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: culprit-read
rules:
- apiGroups: [\"\"]
  resources: [pods, services, endpoints, events, nodes, configmaps]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [ingresses, ingressclasses, networkpolicies]
  verbs: [get, list, watch]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, list, watch]
- apiGroups: [gateway.networking.k8s.io]
  resources: [gatewayclasses, gateways, httproutes, referencegrants]
  verbs: [get, list, watch]
";

/// Why the cluster could not be read live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveError {
    /// No kubeconfig where culprit looked: the paths, and where they came from (`--kubeconfig`,
    /// `$KUBECONFIG` or the default `~/.kube/config`).
    NoKubeconfig { paths: Vec<std::path::PathBuf>, from: &'static str },
    /// Anything else, in words, with the kubeconfig, server, context and call involved.
    Other(String),
}

impl std::fmt::Display for LiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LiveError::NoKubeconfig { paths, from } => {
                let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                match paths.as_slice() {
                    [] => write!(f, "no kubeconfig: no home directory to find ~/.kube/config in"),
                    [one] => write!(f, "no kubeconfig at {one} ({from})"),
                    many => write!(f, "no kubeconfig at any of {} ({from})", many.join(", ")),
                }
            }
            LiveError::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for LiveError {}

impl From<String> for LiveError {
    fn from(message: String) -> Self {
        LiveError::Other(message)
    }
}

/// Reads the snapshot from the cluster of `context` (default: the kubeconfig's current context),
/// from one namespace or all.
pub fn load(
    kubeconfig: Option<&std::path::Path>,
    context: Option<&str>,
    namespace: Option<&str>,
) -> Result<Snapshot, LiveError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the network runtime: {e}"))?;
    runtime.block_on(load_async(kubeconfig, context, namespace))
}

/// The kubeconfig as kubectl finds it: the file given, else the files listed in `$KUBECONFIG`
/// (those that do not exist are skipped, as kubectl does), else `~/.kube/config`; several files
/// are merged. Returns it with a description of where it came from.
fn read_kubeconfig(explicit: Option<&std::path::Path>) -> Result<(Kubeconfig, String), LiveError> {
    let from_env = std::env::var_os("KUBECONFIG")
        .map(|v| std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect::<Vec<_>>())
        .filter(|paths| !paths.is_empty());
    let (paths, from) = match (explicit, from_env) {
        (Some(p), _) => (vec![p.to_path_buf()], "given with --kubeconfig"),
        (None, Some(paths)) => (paths, "listed in $KUBECONFIG"),
        (None, None) => {
            (std::env::home_dir().map(|h| h.join(".kube").join("config")).into_iter().collect(), "the default")
        }
    };
    let existing: Vec<&std::path::PathBuf> = paths.iter().filter(|p| p.exists()).collect();
    if existing.is_empty() {
        return Err(LiveError::NoKubeconfig { paths, from });
    }
    let mut merged: Option<Kubeconfig> = None;
    for path in &existing {
        let kc = Kubeconfig::read_from(path).map_err(|e| match e {
            KubeconfigError::ReadConfig(io, _) => format!("cannot read the kubeconfig {}: {io}", path.display()),
            other => format!("the kubeconfig {}: {other}", path.display()),
        })?;
        merged = Some(match merged {
            None => kc,
            Some(m) => m.merge(kc).map_err(|e| format!("merging the kubeconfigs in $KUBECONFIG: {e}"))?,
        });
    }
    let described = existing.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    Ok((merged.unwrap_or_default(), described))
}

async fn load_async(
    kubeconfig: Option<&std::path::Path>,
    context: Option<&str>,
    namespace: Option<&str>,
) -> Result<Snapshot, LiveError> {
    let (kc, file) = read_kubeconfig(kubeconfig)?;
    let contexts: Vec<String> = kc.contexts.iter().map(|c| c.name.clone()).collect();
    let Some(context) = context.map(str::to_owned).or_else(|| kc.current_context.clone()) else {
        return Err(LiveError::Other(format!(
            "the kubeconfig {file} sets no current-context: name one with --context (it has: {})",
            if contexts.is_empty() { "none".to_owned() } else { contexts.join(", ") }
        )));
    };
    if !contexts.contains(&context) {
        return Err(LiveError::Other(format!(
            "the kubeconfig {file} has no context '{context}' (it has: {})",
            if contexts.is_empty() { "none".to_owned() } else { contexts.join(", ") }
        )));
    }
    let options = KubeConfigOptions { context: Some(context.clone()), ..KubeConfigOptions::default() };
    let config = Config::from_custom_kubeconfig(kc, &options)
        .await
        .map_err(|e| format!("the kubeconfig {file}, context {context}: {e}"))?;
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config).map_err(|e| format!("cannot build a client for {server}: {e}"))?;
    let where_ = || format!("the API server {server} (context {context})");
    let mut s = Snapshot::default();
    s.ingresses = list(&client, namespace, "ingresses", &mut s.problems, &where_).await?;
    s.ingress_classes = list_cluster(&client, "ingressclasses", &mut s.problems, &where_).await?;
    s.nodes = list_cluster(&client, "nodes", &mut s.problems, &where_).await?;
    s.services = list(&client, namespace, "services", &mut s.problems, &where_).await?;
    s.endpoint_slices = list(&client, namespace, "endpointslices", &mut s.problems, &where_).await?;
    s.endpoints = list(&client, namespace, "endpoints", &mut s.problems, &where_).await?;
    s.pods = list(&client, namespace, "pods", &mut s.problems, &where_).await?;
    // Only the ingress controller's namespace: its ConfigMap holds the global settings.
    let controller_ns = crate::query::controller_namespace(&s);
    let config_maps: Vec<k8s_openapi::api::core::v1::ConfigMap> =
        list(&client, Some(&controller_ns), "configmaps", &mut s.problems, &where_).await?;
    s.controller_configs = config_maps.into_iter().filter(crate::snapshot::is_controller_config).collect();
    s.deployments = list(&client, namespace, "deployments", &mut s.problems, &where_).await?;
    s.hpas = list(&client, namespace, "horizontalpodautoscalers", &mut s.problems, &where_).await?;
    s.network_policies = list(&client, namespace, "networkpolicies", &mut s.problems, &where_).await?;
    let events = list_json(&client, namespace, ("", "v1", "Event", "events"), &mut s.problems, &where_).await?;
    s.events = events.iter().filter_map(crate::events::Event::from_value).collect();
    // Gateway API kinds are CRDs: a cluster without them answers 404, said and skipped.
    let gateway = |kind, plural| ("gateway.networking.k8s.io", "v1", kind, plural);
    s.gateways = list_json(&client, namespace, gateway("Gateway", "gateways"), &mut s.problems, &where_).await?;
    s.http_routes = list_json(&client, namespace, gateway("HTTPRoute", "httproutes"), &mut s.problems, &where_).await?;
    // GatewayClasses are cluster-scoped: listed whatever the namespace asked for.
    s.gateway_classes =
        list_json(&client, None, gateway("GatewayClass", "gatewayclasses"), &mut s.problems, &where_).await?;
    s.reference_grants = list_json(
        &client,
        namespace,
        ("gateway.networking.k8s.io", "v1beta1", "ReferenceGrant", "referencegrants"),
        &mut s.problems,
        &where_,
    )
    .await?;
    Ok(s)
}

type Lister<'a> = &'a dyn Fn() -> String;

async fn list<K>(
    client: &Client,
    namespace: Option<&str>,
    plural: &str,
    problems: &mut Vec<String>,
    where_: Lister<'_>,
) -> Result<Vec<K>, String>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope> + Clone + DeserializeOwned + std::fmt::Debug,
    K::DynamicType: Default,
{
    let api: Api<K> = match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    pages(&api, plural, problems, where_).await
}

/// A kind without a Rust type (Gateway API CRDs, events in either API), as the JSON the
/// snapshot reads from dumps: (group, version, kind, plural).
async fn list_json(
    client: &Client,
    namespace: Option<&str>,
    (group, version, kind, plural): (&str, &str, &str, &str),
    problems: &mut Vec<String>,
    where_: Lister<'_>,
) -> Result<Vec<Value>, String> {
    let resource = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    };
    let objects = pages(&api, plural, problems, where_).await?;
    Ok(objects
        .into_iter()
        .filter_map(|o| {
            let mut v = serde_json::to_value(o).ok()?;
            // List items carry no kind of their own.
            let obj = v.as_object_mut()?;
            obj.insert("kind".into(), Value::String(kind.into()));
            obj.insert("apiVersion".into(), Value::String(resource.api_version.clone()));
            Some(v)
        })
        .collect())
}

async fn list_cluster<K>(
    client: &Client,
    plural: &str,
    problems: &mut Vec<String>,
    where_: Lister<'_>,
) -> Result<Vec<K>, String>
where
    K: kube::Resource<Scope = kube::core::ClusterResourceScope> + Clone + DeserializeOwned + std::fmt::Debug,
    K::DynamicType: Default,
{
    pages(&Api::<K>::all(client.clone()), plural, problems, where_).await
}

/// A failure to talk to the API server, in words: what the operating system or TLS said, without
/// the client library's wrapping ("ServiceError: client error (Connect)").
fn transport_failure(e: &kube::Error) -> String {
    let mut chain: Vec<&dyn std::error::Error> = Vec::new();
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = cur {
        chain.push(err);
        cur = err.source();
    }
    let io = chain.iter().find_map(|e| e.downcast_ref::<std::io::Error>());
    let text = chain.iter().map(ToString::to_string).collect::<Vec<_>>().join(": ");
    match io.map(std::io::Error::kind) {
        Some(std::io::ErrorKind::ConnectionRefused) => {
            "connection refused: nothing listens at that address (is the cluster running, and is the \
             kubeconfig's server address right?)"
                .to_owned()
        }
        Some(std::io::ErrorKind::TimedOut) => {
            "the connection timed out (the wrong address, a firewall, or a VPN not connected?)".to_owned()
        }
        Some(std::io::ErrorKind::ConnectionReset) => "the connection was reset by the server or on the way".to_owned(),
        _ if text.contains("dns error") => {
            format!("the server's name does not resolve: {}", chain.last().map(ToString::to_string).unwrap_or_default())
        }
        // The innermost error is the most specific (a TLS alert, an unexpected EOF).
        _ => chain.last().map(ToString::to_string).unwrap_or(text),
    }
}

/// Every page of a list; 403/404 skip the kind (said in `problems`), anything else stops.
async fn pages<K>(api: &Api<K>, plural: &str, problems: &mut Vec<String>, where_: Lister<'_>) -> Result<Vec<K>, String>
where
    K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    let mut out = Vec::new();
    let mut params = ListParams::default().limit(PAGE);
    loop {
        match api.list(&params).await {
            Ok(page) => {
                out.extend(page.items);
                match page.metadata.continue_.filter(|c| !c.is_empty()) {
                    Some(token) => params = params.continue_token(&token),
                    None => return Ok(out),
                }
            }
            Err(kube::Error::Api(status)) if status.code == 403 || status.code == 404 => {
                let why = if status.code == 403 { "forbidden by RBAC" } else { "not served by this cluster" };
                problems.push(format!("list {plural} on {}: {why} ({}); skipped", where_(), status.message));
                return Ok(Vec::new());
            }
            Err(kube::Error::Api(status)) if status.code == 401 => {
                return Err(format!(
                    "{} rejected the credentials (expired token or certificate?) on GET {}, to list \
                     {plural}: {}",
                    where_(),
                    api.resource_url(),
                    status.message
                ));
            }
            Err(kube::Error::Api(status)) => {
                return Err(format!(
                    "{} answered {} {} to GET {} (list {plural}): {}",
                    where_(),
                    status.code,
                    status.reason,
                    api.resource_url(),
                    status.message
                ));
            }
            Err(e) => {
                return Err(format!(
                    "{} could not be reached: {}; the failing call: GET {} (list {plural})",
                    where_(),
                    transport_failure(&e),
                    api.resource_url()
                ));
            }
        }
    }
}
