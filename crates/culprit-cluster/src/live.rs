//! The snapshot read live through the user's kubeconfig, with the `kube` crate: list only (read
//! access), paginated with `continue`. A kind the credentials may not list is skipped and said so;
//! rejected credentials or an unreachable API server stop the run with the context and the call.

use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
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
  resources: [gateways, httproutes, referencegrants]
  verbs: [get, list, watch]
";

/// Reads the snapshot from the cluster of `context` (default: the kubeconfig's current context),
/// from one namespace or all.
pub fn load(
    kubeconfig: Option<&std::path::Path>,
    context: Option<&str>,
    namespace: Option<&str>,
) -> Result<Snapshot, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the network runtime: {e}"))?;
    runtime.block_on(load_async(kubeconfig, context, namespace))
}

async fn load_async(
    kubeconfig: Option<&std::path::Path>,
    context: Option<&str>,
    namespace: Option<&str>,
) -> Result<Snapshot, String> {
    let options = KubeConfigOptions { context: context.map(str::to_owned), ..KubeConfigOptions::default() };
    let config = match kubeconfig {
        Some(path) => {
            let kc = Kubeconfig::read_from(path).map_err(|e| format!("kubeconfig {}: {e}", path.display()))?;
            Config::from_custom_kubeconfig(kc, &options).await
        }
        None => Config::from_kubeconfig(&options).await,
    }
    .map_err(|e| format!("kubeconfig{}: {e}", context.map(|c| format!(" (context {c})")).unwrap_or_default()))?;
    let server = config.cluster_url.to_string();
    let client = Client::try_from(config).map_err(|e| format!("cannot build a client for {server}: {e}"))?;
    let where_ = || format!("{server}{}", context.map(|c| format!(" (context {c})")).unwrap_or_default());
    let mut s = Snapshot::default();
    s.ingresses = list(&client, namespace, "ingresses", &mut s.problems, &where_).await?;
    s.ingress_classes = list_cluster(&client, "ingressclasses", &mut s.problems, &where_).await?;
    s.nodes = list_cluster(&client, "nodes", &mut s.problems, &where_).await?;
    s.services = list(&client, namespace, "services", &mut s.problems, &where_).await?;
    s.endpoint_slices = list(&client, namespace, "endpointslices", &mut s.problems, &where_).await?;
    s.endpoints = list(&client, namespace, "endpoints", &mut s.problems, &where_).await?;
    s.pods = list(&client, namespace, "pods", &mut s.problems, &where_).await?;
    // Only the ingress controller's namespace: its ConfigMap holds the global settings.
    let controller_ns = crate::checks::controller_namespace(&s);
    let config_maps: Vec<k8s_openapi::api::core::v1::ConfigMap> =
        list(&client, Some(&controller_ns), "configmaps", &mut s.problems, &where_).await?;
    s.controller_configs = config_maps.into_iter().filter(crate::checks::controller::is_controller_config).collect();
    s.deployments = list(&client, namespace, "deployments", &mut s.problems, &where_).await?;
    s.hpas = list(&client, namespace, "horizontalpodautoscalers", &mut s.problems, &where_).await?;
    s.network_policies = list(&client, namespace, "networkpolicies", &mut s.problems, &where_).await?;
    let events = list_json(&client, namespace, ("", "v1", "Event", "events"), &mut s.problems, &where_).await?;
    s.events = events.iter().filter_map(crate::events::Event::from_value).collect();
    // Gateway API kinds are CRDs: a cluster without them answers 404, said and skipped.
    let gateway = |kind, plural| ("gateway.networking.k8s.io", "v1", kind, plural);
    s.gateways = list_json(&client, namespace, gateway("Gateway", "gateways"), &mut s.problems, &where_).await?;
    s.http_routes = list_json(&client, namespace, gateway("HTTPRoute", "httproutes"), &mut s.problems, &where_).await?;
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

/// Every page of a list; 403/404 skip the kind (said in `problems`), anything else stops.
async fn pages<K>(api: &Api<K>, plural: &str, problems: &mut Vec<String>, where_: Lister<'_>) -> Result<Vec<K>, String>
where
    K: Clone + DeserializeOwned + std::fmt::Debug,
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
                    "the API server {} rejected the credentials while listing {plural} (expired token or certificate?): {}",
                    where_(),
                    status.message
                ));
            }
            Err(e) => return Err(format!("listing {plural} on {}: {e}", where_())),
        }
    }
}
