"""Writes tests/scenarios/*: one directory per fault, in the shape `kubectl get … -o json` gives for
current Kubernetes, with the findings each must produce (expected.json.txt). Run it after changing
a scenario: python3 crates/culprit-cluster/tests/make_scenarios.py"""
import json, os, uuid
base_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'scenarios')
NS = 'shop'
def meta(name, labels=None, ann=None, ns=NS):
    m = {"name": name, "namespace": ns, "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, ns+'/'+name)),
         "resourceVersion": "48213", "creationTimestamp": "2026-11-20T09:12:44Z"}
    if labels: m["labels"] = labels
    if ann: m["annotations"] = ann
    return m
def ingress(paths, ann=None, host="shop.example.com"):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta("shop", ann=ann),
      "spec": {"ingressClassName": "nginx", "tls": [{"hosts": [host], "secretName": "shop-tls"}],
        "rules": [{"host": host, "http": {"paths": [
          {"path": p, "pathType": "Prefix", "backend": {"service": {"name": s, "port": {"number": 80}}}} for p, s in paths]}}]},
      "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}}}
def service(name, target="http", selector=None, port_name="http", app_protocol=None):
    port = {"name": port_name, "port": 80, "protocol": "TCP", "targetPort": target}
    if app_protocol: port["appProtocol"] = app_protocol
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, labels={"app": name}),
      "spec": {"type": "ClusterIP", "clusterIP": "10.96.12.%d" % (len(name)), "clusterIPs": ["10.96.12.%d" % len(name)],
        "ports": [port], "selector": selector or {"app": name}, "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack"}, "status": {"loadBalancer": {}}}
def pod(app, i, ready=True, port=8080, port_name="http", crash=False):
    name = f"{app}-7d9f8c6b5-{['abcde','fghij','klmno'][i]}"
    ip = f"10.244.{i+1}.{ {'checkout': 13, 'frontend': 27}.get(app, 40) }"
    cs = {"name": "app", "image": f"registry.example.com/{app}:1.4.2", "imageID": "", "ready": ready,
          "restartCount": 6 if crash else 0, "started": ready, "containerID": "containerd://" + uuid.uuid5(uuid.NAMESPACE_DNS, name).hex,
          "state": {"running": {"startedAt": "2026-11-22T13:58:02Z"}}, "lastState": {}}
    if crash:
        cs["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s restarting failed container=app"}}
        cs["lastState"] = {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": "2026-11-22T14:01:10Z", "finishedAt": "2026-11-22T14:02:03Z", "containerID": "containerd://x"}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta(name, labels={"app": app, "pod-template-hash": "7d9f8c6b5"}),
      "spec": {"containers": [{"name": "app", "image": f"registry.example.com/{app}:1.4.2",
          "ports": [{"name": port_name, "containerPort": port, "protocol": "TCP"}],
          "readinessProbe": {"httpGet": {"path": "/healthz", "port": port_name, "scheme": "HTTP"}, "periodSeconds": 5, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
          "resources": {"limits": {"memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
          "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File", "imagePullPolicy": "IfNotPresent"}],
        "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst", "serviceAccountName": "default", "nodeName": f"node-{i+1}"},
      "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "hostIP": f"192.168.1.{i+11}", "startTime": "2026-11-20T09:13:01Z",
        "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True" if ready else "False"},
                       {"type": "ContainersReady", "status": "True" if ready else "False"}, {"type": "PodScheduled", "status": "True"}],
        "containerStatuses": [cs], "qosClass": "Burstable"}}
def slice_(svc, pods, ready=True, port_name="http", port=8080):
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": meta(svc + "-x7k2p", labels={"kubernetes.io/service-name": svc, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}),
      "addressType": "IPv4", "ports": [{"name": port_name, "port": port, "protocol": "TCP"}],
      "endpoints": [{"addresses": [p["status"]["podIP"]], "conditions": {"ready": ready, "serving": ready, "terminating": False},
        "nodeName": p["spec"]["nodeName"], "targetRef": {"kind": "Pod", "name": p["metadata"]["name"], "namespace": NS, "uid": p["metadata"]["uid"]}} for p in pods]}
def deployment(app, replicas=3, recreate=False, prestop=True, prestop_cmd=("sleep", "15")):
    c = {"name": "app", "image": f"registry.example.com/{app}:1.4.2", "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
         "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"}, "periodSeconds": 5, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
         "resources": {"limits": {"memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}}}
    if prestop: c["lifecycle"] = {"preStop": {"exec": {"command": list(prestop_cmd)}}}
    strat = {"type": "Recreate"} if recreate else {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(app, labels={"app": app}),
      "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}}, "strategy": strat,
        "template": {"metadata": {"labels": {"app": app}}, "spec": {"containers": [c], "terminationGracePeriodSeconds": 30}}},
      "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas, "updatedReplicas": replicas}}
def event(pod_name, reason, message, count=1, kind="Warning", new_api=False, last="2026-11-22T14:02:11Z"):
    """A core/v1 Event as `kubectl get events -o json` lists it, or the events.k8s.io/v1 shape."""
    name = f"{pod_name}.{uuid.uuid5(uuid.NAMESPACE_DNS, pod_name + reason).hex[:16]}"
    if new_api:
        return {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": meta(name), "eventTime": "2026-11-22T13:40:00.000000Z",
                "regarding": {"kind": "Pod", "namespace": NS, "name": pod_name, "apiVersion": "v1"}, "reason": reason, "note": message,
                "type": kind, "action": "Scheduling", "reportingController": "default-scheduler", "reportingInstance": "default-scheduler-node-1",
                "series": {"count": count, "lastObservedTime": last.replace("Z", ".000000Z")}}
    return {"apiVersion": "v1", "kind": "Event", "metadata": meta(name), "involvedObject": {"kind": "Pod", "namespace": NS, "name": pod_name, "apiVersion": "v1", "fieldPath": "spec.containers{app}"},
            "reason": reason, "message": message, "source": {"component": "kubelet", "host": "node-1"}, "firstTimestamp": "2026-11-22T13:40:00Z",
            "lastTimestamp": last, "count": count, "type": kind, "reportingComponent": "kubelet", "reportingInstance": "node-1"}
def healthy():
    objs = {"ingress": [ingress([("/api", "checkout"), ("/", "frontend")])], "services": [service("checkout"), service("frontend")],
            "pods": [], "slices": [], "deployments": [deployment("checkout"), deployment("frontend")]}
    for app in ["checkout", "frontend"]:
        ps = [pod(app, i) for i in range(3)]
        objs["pods"] += ps
        objs["slices"].append(slice_(app, ps))
    return objs
def sync_ready(objs):
    """Deployment status.readyReplicas from the pods, as the controller would report it."""
    for dep in objs["deployments"]:
        app = dep["metadata"]["name"]
        mine = [p for p in objs["pods"] if p["metadata"]["labels"].get("app") == app]
        ready = sum(1 for p in mine if any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", [])))
        if mine:
            dep["status"]["readyReplicas"] = ready
            dep["status"]["availableReplicas"] = ready
def write(name, objs, expected):
    sync_ready(objs)
    d = os.path.join(base_dir, name); os.makedirs(d, exist_ok=True)
    files = {"ingresses.json": ("IngressList", "networking.k8s.io/v1", objs["ingress"]),
             "services.json": ("ServiceList", "v1", objs["services"]),
             "pods.json": ("PodList", "v1", objs["pods"]),
             "endpointslices.json": ("EndpointSliceList", "discovery.k8s.io/v1", objs["slices"])}
    if objs["deployments"]:
        files["deployments.json"] = ("DeploymentList", "apps/v1", objs["deployments"])
    if objs.get("netpols"):
        files["networkpolicies.json"] = ("NetworkPolicyList", "networking.k8s.io/v1", objs["netpols"])
    if objs.get("gateway"):
        files["gateway-api.json"] = ("List", "v1", objs["gateway"])
    if objs.get("configmaps"):
        files["configmaps.json"] = ("ConfigMapList", "v1", objs["configmaps"])
    if objs.get("nodes"):
        files["nodes.json"] = ("NodeList", "v1", objs["nodes"])
    if objs.get("classes"):
        files["ingressclasses.json"] = ("IngressClassList", "networking.k8s.io/v1", objs["classes"])
    if objs.get("events"):
        files["events.json"] = ("EventList", "v1", objs["events"])
    if objs.get("hpas"):
        files["hpas.json"] = ("HorizontalPodAutoscalerList", "autoscaling/v2", objs["hpas"])
    for f, (kind, api, items) in files.items():
        # kubectl get X -o json: a List with full items
        json.dump({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}}, open(os.path.join(d, f), "w"), indent=2)
    json.dump(expected, open(os.path.join(d, "expected.json.txt"), "w"), indent=2)

write("healthy", healthy(), {"route": {"url": "https://shop.example.com/api/cart/42", "ok": True}, "check": []})

o = healthy()
for p in o["pods"]:
    if p["metadata"]["labels"]["app"] == "checkout":
        for c in p["status"]["conditions"]:
            if c["type"] in ("Ready", "ContainersReady"): c["status"] = "False"
        p["status"]["containerStatuses"][0]["ready"] = False
o["slices"][0] = slice_("checkout", [p for p in o["pods"] if p["metadata"]["labels"]["app"] == "checkout"], ready=False)
write("no-ready-endpoints", o, {"route": {"url": "https://shop.example.com/api/cart/42", "cause": "no_ready_endpoints", "codes": [503]},
   "check": [{"cause": "no_ready_endpoints", "object": "Service/shop/checkout", "severity": "error"},
             {"cause": "no_ready_endpoints", "object": "Deployment/shop/checkout", "severity": "error"}]})

o = healthy(); o["services"][0] = service("checkout", selector={"app": "checkout-v2"}); o["slices"][0]["endpoints"] = []
write("selector-matches-nothing", o, {"route": {"url": "https://shop.example.com/api/cart/42", "cause": "no_ready_endpoints", "codes": [503]},
   "check": [{"cause": "no_ready_endpoints", "object": "Service/shop/checkout", "severity": "error"}]})

o = healthy(); o["services"][0] = service("checkout", target="web"); o["slices"][0]["endpoints"] = []
write("named-targetport-missing", o, {"route": {"url": "https://shop.example.com/api/cart/42", "cause": "no_ready_endpoints", "codes": [503]},
   "check": [{"cause": "no_ready_endpoints", "object": "Service/shop/checkout", "severity": "error"}]})

o = healthy(); o["services"][0] = service("checkout", target=8081)
write("numeric-targetport-wrong", o, {"route": {"url": "https://shop.example.com/api/cart/42", "cause": "upstream_connection_refused", "codes": [502]},
   "check": [{"cause": "upstream_connection_refused", "object": "Service/shop/checkout", "severity": "warning"}]})

o = healthy()
ps = [pod("checkout", 0, ready=False, crash=True), pod("checkout", 1), pod("checkout", 2)]
o["pods"] = ps + o["pods"][3:]
o["slices"][0] = slice_("checkout", ps[1:])
o["slices"][0]["endpoints"].append({"addresses": [ps[0]["status"]["podIP"]], "conditions": {"ready": False, "serving": False, "terminating": False}, "targetRef": {"kind": "Pod", "name": ps[0]["metadata"]["name"], "namespace": NS}})
o["events"] = [event(ps[0]["metadata"]["name"], "BackOff", "Back-off restarting failed container app in pod checkout-7d9f8c6b5-abcde_shop(5b1f…)", count=31),
               event(ps[1]["metadata"]["name"], "Pulled", "Container image \"registry.example.com/checkout:1.4.2\" already present on machine", kind="Normal")]
write("crash-loop", o, {"route": {"url": "https://shop.example.com/api/cart/42", "cause": "pod_crash_looping", "codes": [502, 503]},
   "check": [{"cause": "pod_crash_looping", "object": "Pod/shop/checkout-7d9f8c6b5-abcde", "severity": "error"},
             {"cause": "no_ready_endpoints", "object": "Deployment/shop/checkout", "severity": "warning"}]})

o = healthy(); o["ingress"] = [ingress([("/api", "checkout-api"), ("/", "frontend")])]
write("missing-service", o, {"route": {"url": "https://shop.example.com/api/cart/42", "cause": "invalid_backend_ref", "codes": [503]},
   "check": [{"cause": "invalid_backend_ref", "object": "Ingress/shop/shop", "severity": "error"}]})

o = healthy()
write("no-rule", o, {"route": {"url": "https://admin.example.com/", "cause": "no_route", "codes": [404]}, "check": []})

o = healthy(); o["deployments"][0] = deployment("checkout", replicas=1, recreate=True, prestop=False)
write("fragile-rollouts", o, {"route": {"url": "https://shop.example.com/api/cart/42", "ok": True},
   "check": [{"cause": "no_ready_endpoints", "object": "Deployment/shop/checkout", "severity": "warning"},
             {"cause": "rollout_drain_race", "object": "Deployment/shop/checkout", "severity": "warning"}]})

o = healthy()
o["ingress"] = [ingress([("/api", "checkout"), ("/", "frontend")], ann={"ingress.kubernetes.io/proxy-body-size": "50m", "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS"})]
write("annotations", o, {"route": {"url": "https://shop.example.com/", "ok": True},
   "check": [{"cause": "body_too_large", "object": "Ingress/shop/shop", "severity": "warning"},
             {"cause": "upstream_invalid_response", "object": "Ingress/shop/shop", "severity": "warning"}]})

o = healthy()
o["netpols"] = [
  {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("checkout-only-from-frontend"),
   "spec": {"podSelector": {"matchLabels": {"app": "checkout"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "frontend"}}}], "ports": [{"protocol": "TCP", "port": 8080}]}]}},
  {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("frontend-from-ingress"),
   "spec": {"podSelector": {"matchLabels": {"app": "frontend"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]}]}},
]
write("networkpolicy-blocks-ingress", o, {"route": {"url": "https://shop.example.com/", "ok": True},
   "check": [{"cause": "upstream_connect_timeout", "object": "NetworkPolicy/shop/checkout-only-from-frontend", "severity": "error"}]})

o = healthy()
o["hpas"] = [{"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta("checkout"),
  "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout"}, "minReplicas": 2, "maxReplicas": 3,
           "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]},
  "status": {"currentReplicas": 3, "desiredReplicas": 3, "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 96, "averageValue": "192m"}}}],
             "conditions": [{"type": "ScalingLimited", "status": "True", "reason": "TooManyReplicas", "message": "the desired replica count is more than the maximum replica count", "lastTransitionTime": "2026-11-22T13:58:00Z"}]}}]
write("hpa-at-max", o, {"route": {"url": "https://shop.example.com/api/cart/42", "ok": True},
   "check": [{"cause": "proxy_overloaded", "object": "HorizontalPodAutoscaler/shop/checkout", "severity": "warning"},
             {"cause": "proxy_overloaded", "object": "Deployment/shop/checkout", "severity": "info"}]})

def httproute(name, ns, backend_ns, accepted=True, hostnames=("shop.example.com",)):
    r = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": meta(name, ns=ns) if False else {**meta(name), "namespace": ns},
         "spec": {"parentRefs": [{"name": "public", "namespace": "gateway"}], "hostnames": list(hostnames),
                  "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
                             "backendRefs": [{"name": "checkout", "namespace": backend_ns, "port": 80}]}]},
         "status": {"parents": [{"parentRef": {"name": "public", "namespace": "gateway"}, "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
                    "conditions": [{"type": "Accepted", "status": "True" if accepted else "False", "reason": "Accepted" if accepted else "NotAllowedByListeners",
                                    "message": "Route is accepted" if accepted else "No listeners included by this parent ref allowed this attachment.", "lastTransitionTime": "2026-11-22T09:00:00Z"},
                                   {"type": "ResolvedRefs", "status": "True", "reason": "ResolvedRefs", "message": "Resolved all the Object references for the Route", "lastTransitionTime": "2026-11-22T09:00:00Z"}]}]}}
    return r
o = healthy()
grant = {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant", "metadata": meta("allow-partners"),
         "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "partners"}], "to": [{"group": "", "kind": "Service"}]}}
gw = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {**meta("public"), "namespace": "gateway"},
      "spec": {"gatewayClassName": "eg", "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443, "hostname": "*.example.com", "allowedRoutes": {"namespaces": {"from": "All"}}}]}}
internal = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {**meta("internal"), "namespace": "gateway"},
            "spec": {"gatewayClassName": "eg", "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]},
            "status": {"conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "The Gateway has been scheduled by Envoy Gateway", "lastTransitionTime": "2026-11-22T09:00:00Z"},
                                      {"type": "Programmed", "status": "False", "reason": "AddressNotAssigned", "message": "No addresses have been assigned to the Gateway", "lastTransitionTime": "2026-11-22T09:00:00Z"}]}}
o["gateway"] = [gw, internal, grant, httproute("web-checkout", "web", "shop"), httproute("partners-checkout", "partners", "shop", hostnames=("api.partners.example.com",)), httproute("legacy", "legacy", "legacy", accepted=False)]
write("gateway-api", o, {"route": {"url": "https://shop.example.com/api/cart/42", "ok": True},
   "check": [{"cause": "invalid_backend_ref", "object": "HTTPRoute/web/web-checkout", "severity": "error"},
             {"cause": "no_route", "object": "HTTPRoute/legacy/legacy", "severity": "error"},
             {"cause": "no_route", "object": "Gateway/gateway/internal", "severity": "error"}]})

# Probe failures and scheduling, told by events: one checkout pod fails readiness (out of the
# endpoints), one frontend pod cannot be scheduled (events.k8s.io/v1 shape).
o = healthy()
bad = o["pods"][1]
for c in bad["status"]["conditions"]:
    if c["type"] in ("Ready", "ContainersReady"): c["status"] = "False"
bad["status"]["containerStatuses"][0]["ready"] = False
o["slices"][0]["endpoints"][1]["conditions"] = {"ready": False, "serving": False, "terminating": False}
pending = o["pods"][5]
pending["status"] = {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes are available: 3 Insufficient memory."}], "qosClass": "Burstable"}
del pending["spec"]["nodeName"]
o["slices"][1]["endpoints"] = o["slices"][1]["endpoints"][:2]
o["events"] = [event(bad["metadata"]["name"], "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", count=42),
               event(pending["metadata"]["name"], "FailedScheduling", "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.", count=7, new_api=True)]
write("probe-failures", o, {"route": {"url": "https://shop.example.com/api/cart/42", "cause": "no_ready_endpoints", "codes": [503]},
   "check": [{"cause": "no_ready_endpoints", "object": f"Pod/shop/{bad['metadata']['name']}", "severity": "warning"},
             {"cause": "no_ready_endpoints", "object": f"Pod/shop/{pending['metadata']['name']}", "severity": "warning"},
             {"cause": "no_ready_endpoints", "object": "Deployment/shop/checkout", "severity": "warning"},
             {"cause": "no_ready_endpoints", "object": "Deployment/shop/frontend", "severity": "warning"}]})

# An AWS ALB sending straight to pod IPs with the default 300 s deregistration delay, and a preStop
# sleep as long as the grace period.
o = healthy()
alb = ingress([("/api", "checkout"), ("/", "frontend")], ann={"alb.ingress.kubernetes.io/target-type": "ip", "alb.ingress.kubernetes.io/scheme": "internet-facing"})
alb["spec"]["ingressClassName"] = "alb"
alb["status"] = {"loadBalancer": {"ingress": [{"hostname": "k8s-shop-shop-1a2b3c4d5e-1234567890.eu-west-1.elb.amazonaws.com"}]}}
o["ingress"] = [alb]
o["deployments"][0] = deployment("checkout", prestop_cmd=("sh", "-c", "echo draining && sleep 30"))
o["deployments"][1]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 60
write("alb-drain", o, {"route": {"url": "https://shop.example.com/api/cart/42", "ok": True},
   "check": [{"cause": "rollout_drain_race", "object": "Deployment/shop/checkout", "severity": "warning"},
             {"cause": "rollout_drain_race", "object": "Deployment/shop/checkout", "severity": "warning"},
             {"cause": "rollout_drain_race", "object": "Deployment/shop/frontend", "severity": "warning"},
             {"cause": "keepalive_timeout_mismatch", "object": "Ingress/shop/shop", "severity": "info"}]})

# Manifests without status (linting before apply): the Gateway's listener admits routes from its own
# namespace only, and the HTTPRoute lives in the app's namespace — nothing attaches, the Gateway 404s.
o = healthy()
o["ingress"] = []
gw_same = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {**meta("public"), "namespace": "gateway"},
           "spec": {"gatewayClassName": "eg", "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443, "hostname": "*.example.com",
                    "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "wildcard-example-com"}]},
                    "allowedRoutes": {"namespaces": {"from": "Same"}}}]}}
shop_route = httproute("shop", NS, NS)
del shop_route["status"]
o["gateway"] = [gw_same, shop_route]
write("gateway-listener-refuses", o, {"route": {"url": "https://shop.example.com/api/cart/42", "cause": "no_route", "codes": [404]},
   "check": [{"cause": "no_route", "object": "HTTPRoute/shop/shop", "severity": "error"}]})

# Ingress and workload manifests that lint can judge: a class that is not the default, an Ingress
# without a class, a host+path claimed twice, a canary with no main Ingress, a rule without paths,
# annotation values ingress-nginx cannot read, a rate limit (503, not 429), a liveness probe equal to
# the readiness probe, a probe on an undeclared port, an image that cannot be pulled, an autoscaler
# aimed at a Deployment that does not exist and one that cannot read its metric.
o = healthy()
o["classes"] = [{"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx", "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, "nginx-class")), "resourceVersion": "311", "creationTimestamp": "2026-01-10T08:00:00Z", "labels": {"app.kubernetes.io/name": "ingress-nginx"}},
                 "spec": {"controller": "k8s.io/ingress-nginx"}}]
main = ingress([("/api", "checkout"), ("/", "frontend")], ann={"nginx.ingress.kubernetes.io/proxy-read-timeout": "120s", "nginx.ingress.kubernetes.io/proxy-body-size": "50MB", "nginx.ingress.kubernetes.io/limit-rps": "20"})
dup = ingress([("/api", "checkout")]); dup["metadata"] = meta("shop-api-v2")
legacy = ingress([("/old", "frontend")]); legacy["metadata"] = meta("shop-legacy"); del legacy["spec"]["ingressClassName"]
canary = ingress([("/beta", "checkout")], ann={"nginx.ingress.kubernetes.io/canary": "true", "nginx.ingress.kubernetes.io/canary-weight": "10"}); canary["metadata"] = {**meta("shop-beta"), "annotations": canary["metadata"]["annotations"]}
static = ingress([("/", "frontend")], host="static.example.com"); static["metadata"] = meta("static"); del static["spec"]["rules"][0]["http"]
rewrite = ingress([("/shop(/|$)(.*)", "frontend")], ann={"nginx.ingress.kubernetes.io/use-regex": "true", "nginx.ingress.kubernetes.io/rewrite-target": "/", "nginx.ingress.kubernetes.io/whitelist-source-range": "10.0.0.0/8"})
rewrite["metadata"] = {**meta("shop-rewrite"), "annotations": rewrite["metadata"]["annotations"]}
rewrite["spec"]["rules"][0]["http"]["paths"][0]["pathType"] = "ImplementationSpecific"
rewrite["metadata"]["annotations"]["nginx.ingress.kubernetes.io/default-backend"] = "maintenance-page"
o["ingress"] = [main, dup, legacy, canary, static, rewrite]
legacy_svc = service("legacy-api"); del legacy_svc["spec"]["selector"]
o["services"].append(legacy_svc)
def node(i, ready=True):
    cond = {"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status", "lastHeartbeatTime": "2026-11-22T14:05:00Z", "lastTransitionTime": "2026-11-01T08:00:00Z"}
    if not ready:
        cond = {"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown", "message": "Kubelet stopped posting node status.", "lastHeartbeatTime": "2026-11-22T13:58:41Z", "lastTransitionTime": "2026-11-22T13:59:22Z"}
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"node-{i}", "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"node-{i}")), "resourceVersion": "90210", "creationTimestamp": "2026-11-01T08:00:00Z",
            "labels": {"kubernetes.io/hostname": f"node-{i}", "topology.kubernetes.io/zone": f"eu-west-1{'abc'[i-1]}"}},
            "spec": {"podCIDR": f"10.244.{i}.0/24"}, "status": {"conditions": [cond], "addresses": [{"type": "InternalIP", "address": f"192.168.1.{i+10}"}]}}
o["nodes"] = [node(1), node(2), node(3, ready=False)]
old_checkout = deployment("checkout-v1"); old_checkout["spec"]["template"]["metadata"]["labels"] = {"app": "checkout", "version": "v1"}
old_checkout["spec"]["selector"]["matchLabels"] = {"app": "checkout", "version": "v1"}
old_checkout["spec"]["replicas"] = 0; old_checkout["status"] = {"replicas": 0}
o["deployments"].append(old_checkout)
o["configmaps"] = [
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {**meta("ingress-nginx-controller"), "namespace": "ingress-nginx", "labels": {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}},
     "data": {"proxy-read-timeout": "60s", "upstream-keepalive-timeout": "75", "large-client-header-buffers": "4 16k", "allow-snippet-annotations": "false"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {**meta("kube-root-ca.crt"), "namespace": "shop"}, "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIC…\n-----END CERTIFICATE-----\n"}}]
controller_pod = pod("ingress-nginx-controller", 0)
controller_pod["metadata"] = {**meta("ingress-nginx-controller-5c9d8f7b6-q2w3e"), "namespace": "ingress-nginx",
                              "labels": {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller", "pod-template-hash": "5c9d8f7b6"}}
controller_pod["status"]["podIP"] = "10.244.1.2"; controller_pod["status"]["podIPs"] = [{"ip": "10.244.1.2"}]
o["pods"].append(controller_pod)
tmpl = o["deployments"][0]["spec"]["template"]["spec"]["containers"][0]
tmpl["livenessProbe"] = dict(tmpl["readinessProbe"])
tmpl["startupProbe"] = {"httpGet": {"path": "/ready", "port": "metrics"}, "failureThreshold": 30, "periodSeconds": 2}
stuck = o["pods"][5]
for c in stuck["status"]["conditions"]:
    if c["type"] in ("Ready", "ContainersReady"): c["status"] = "False"
stuck["status"]["containerStatuses"][0].update({"ready": False, "started": False, "state": {"waiting": {"reason": "ImagePullBackOff", "message": 'Back-off pulling image "registry.example.com/frontend:1.4.3"'}}})
o["slices"][1]["endpoints"][2]["conditions"] = {"ready": False, "serving": False, "terminating": False}
o["hpas"] = [{"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta("checkout-v2"),
              "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout-v2"}, "minReplicas": 2, "maxReplicas": 10,
                       "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]},
              "status": {"currentReplicas": 0, "desiredReplicas": 0, "conditions": [{"type": "AbleToScale", "status": "False", "reason": "FailedGetScale", "message": "the HPA controller was unable to get the target's current scale: deployments/scale.apps \"checkout-v2\" not found", "lastTransitionTime": "2026-11-22T10:00:00Z"}]}},
             {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta("frontend"),
              "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "frontend"}, "minReplicas": 3, "maxReplicas": 12,
                       "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]},
              "status": {"currentReplicas": 3, "desiredReplicas": 3, "conditions": [{"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric", "message": "the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API", "lastTransitionTime": "2026-11-22T10:00:00Z"}]}}]
write("ingress-and-workload-lint", o, {"route": {"url": "https://shop.example.com/api/cart/42", "ok": True},
   "check": [
     {"cause": "upstream_timeout", "object": "Ingress/shop/shop", "severity": "warning"},
     {"cause": "body_too_large", "object": "Ingress/shop/shop", "severity": "warning"},
     {"cause": "proxy_rate_limited", "object": "Ingress/shop/shop", "severity": "info"},
     {"cause": "no_route", "object": "Ingress/shop/shop-api-v2", "severity": "warning"},
     {"cause": "no_route", "object": "Ingress/shop/shop-legacy", "severity": "error"},
     {"cause": "no_route", "object": "Ingress/shop/shop-beta", "severity": "error"},
     {"cause": "no_route", "object": "Ingress/shop/static", "severity": "warning"},
     {"cause": "pod_crash_looping", "object": "Deployment/shop/checkout", "severity": "warning"},
     {"cause": "no_ready_endpoints", "object": "Deployment/shop/checkout", "severity": "error"},
     {"cause": "no_ready_endpoints", "object": f"Pod/shop/{stuck['metadata']['name']}", "severity": "error"},
     {"cause": "no_ready_endpoints", "object": "Deployment/shop/frontend", "severity": "warning"},
     {"cause": "proxy_overloaded", "object": "HorizontalPodAutoscaler/shop/checkout-v2", "severity": "warning"},
     {"cause": "proxy_overloaded", "object": "HorizontalPodAutoscaler/shop/frontend", "severity": "warning"},
     {"cause": "proxy_overloaded", "object": "Deployment/shop/frontend", "severity": "info"},
     {"cause": "no_route", "object": "Ingress/shop/shop-rewrite", "severity": "warning"},
     {"cause": "proxy_access_denied", "object": "Ingress/shop/shop-rewrite", "severity": "info"},
     {"cause": "invalid_backend_ref", "object": "Ingress/shop/shop-rewrite", "severity": "warning"},
     {"cause": "no_ready_endpoints", "object": "Service/shop/legacy-api", "severity": "warning"},
     {"cause": "no_ready_endpoints", "object": "Node/node-3", "severity": "error"},
     {"cause": "selector_overlap", "object": "Service/shop/checkout", "severity": "warning"},
     {"cause": "upstream_timeout", "object": "ConfigMap/ingress-nginx/ingress-nginx-controller", "severity": "warning"},
     {"cause": "keepalive_timeout_mismatch", "object": "ConfigMap/ingress-nginx/ingress-nginx-controller", "severity": "info"},
     {"cause": "header_too_large", "object": "ConfigMap/ingress-nginx/ingress-nginx-controller", "severity": "info"},
     {"cause": "rollout_drain_race", "object": "ConfigMap/ingress-nginx/ingress-nginx-controller", "severity": "warning"},
     # shop-api-v2 and shop-rewrite set no proxy-body-size (shop's is unreadable, said above; the
     # canary takes its main Ingress's; static has no paths).
     {"cause": "body_too_large", "object": "ConfigMap/ingress-nginx/ingress-nginx-controller", "severity": "info"}]})

# ── Partial dumps, Gateway backends, GatewayClasses, the request-body limit ───────────────────────

def owned(p, kind="ReplicaSet"):
    """The owner reference the ReplicaSet controller sets (kubectl dumps carry it)."""
    app, h = p["metadata"]["labels"]["app"], p["metadata"]["labels"]["pod-template-hash"]
    rs = f"{app}-{h}"
    p["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": kind, "name": rs, "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, NS + "/" + rs)), "controller": True, "blockOwnerDeletion": True}]
    return p

# `kubectl get pods,svc,endpointslices,ingress`: no Deployments. The rollout checks read the pods'
# own specs, one finding per workload (the ReplicaSet's Deployment), not one per pod: checkout has
# no readiness probe and no preStop hook; frontend's preStop sleeps as long as its grace period and
# its liveness probe is its readiness probe.
o = healthy()
o["deployments"] = []
for p in o["pods"]:
    owned(p)
    c = p["spec"]["containers"][0]
    if p["metadata"]["labels"]["app"] == "checkout":
        del c["readinessProbe"]
    else:
        c["lifecycle"] = {"preStop": {"exec": {"command": ["sleep", "30"]}}}
        c["livenessProbe"] = dict(c["readinessProbe"])
write("pods-only-rollout", o, {"route": {"url": "https://shop.example.com/api/cart/42", "ok": True},
   "check": [{"cause": "upstream_connection_refused", "object": "Deployment/shop/checkout", "severity": "warning"},
             {"cause": "rollout_drain_race", "object": "Deployment/shop/checkout", "severity": "warning"},
             {"cause": "rollout_drain_race", "object": "Deployment/shop/frontend", "severity": "warning"},
             {"cause": "pod_crash_looping", "object": "Deployment/shop/frontend", "severity": "warning"}]})

def gateway_class(name, controller, accepted=True, reason="Accepted", message="Valid GatewayClass"):
    c = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
         "metadata": {"name": name, "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, "gc/" + name)), "resourceVersion": "512", "creationTimestamp": "2026-11-01T08:00:00Z"},
         "spec": {"controllerName": controller}}
    if accepted is not None:
        c["status"] = {"conditions": [{"type": "Accepted", "status": "True" if accepted else "False", "reason": reason, "message": message, "lastTransitionTime": "2026-11-01T08:00:05Z"}]}
    return c
def gateway(name, ns, cls, host="*.example.com"):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {**meta(name), "namespace": ns},
            "spec": {"gatewayClassName": cls, "listeners": [{"name": "https", "protocol": "HTTPS", "port": 443, "hostname": host,
                     "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "wildcard-example-com"}]},
                     "allowedRoutes": {"namespaces": {"from": "All"}}}]}}
def route_to(name, gw, gw_ns, backend, host, path="/"):
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": meta(name),
            "spec": {"parentRefs": [{"name": gw, "namespace": gw_ns}], "hostnames": [host],
                     "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": path}}], "backendRefs": [{"name": backend, "port": 80}]}]}}
def proxy_pod(name, ns, labels, ip):
    p = pod("envoy", 0)
    p["metadata"] = {**meta(name), "namespace": ns, "labels": labels}
    p["status"]["podIP"] = ip; p["status"]["podIPs"] = [{"ip": ip}]
    return p

# Gateway API backends behind NetworkPolicies. checkout is reached through Envoy Gateway's Gateway
# gateway/public, whose Envoy pods run in envoy-gateway-system: its policy lets only the ingress-nginx
# namespace in (right for an Ingress, wrong here: 503 from Envoy). frontend is reached through an
# Istio Gateway in its own namespace: its policy lets only checkout's pods in, not the Gateway's.
o = healthy()
o["ingress"] = []
o["pods"].append(proxy_pod("envoy-gateway-public-5b7d9c8f6-h4k2m", "envoy-gateway-system",
    {"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy", "app.kubernetes.io/managed-by": "envoy-gateway",
     "gateway.envoyproxy.io/owning-gateway-name": "public", "gateway.envoyproxy.io/owning-gateway-namespace": "gateway"}, "10.244.2.50"))
o["pods"].append(proxy_pod("internal-istio-6c8f7d9b5-x9z8y", NS,
    {"gateway.networking.k8s.io/gateway-name": "internal", "istio.io/gateway-name": "internal", "service.istio.io/canonical-name": "internal-istio"}, "10.244.3.51"))
o["gateway"] = [gateway_class("eg", "gateway.envoyproxy.io/gatewayclass-controller"), gateway_class("istio", "istio.io/gateway-controller"),
                gateway("public", "gateway", "eg"), gateway("internal", NS, "istio", host="*.internal.example.com"),
                route_to("checkout", "public", "gateway", "checkout", "shop.example.com", "/api"),
                route_to("frontend", "internal", NS, "frontend", "www.internal.example.com")]
o["netpols"] = [
  {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("checkout-from-ingress-nginx"),
   "spec": {"podSelector": {"matchLabels": {"app": "checkout"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]}]}},
  {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta("frontend-from-checkout"),
   "spec": {"podSelector": {"matchLabels": {"app": "frontend"}}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "checkout"}}}]}]}},
]
write("gateway-backends-isolated", o, {"route": {"url": "https://shop.example.com/api/cart/42", "cause": "upstream_connect_timeout", "codes": [503]},
   "check": [{"cause": "upstream_connect_timeout", "object": "NetworkPolicy/shop/checkout-from-ingress-nginx", "severity": "error"},
             {"cause": "upstream_connect_timeout", "object": "NetworkPolicy/shop/frontend-from-checkout", "severity": "error"}]})

# GatewayClasses: one accepted, one its controller refused, and a Gateway naming a class that does
# not exist. The route to shop.example.com is attached to that Gateway: nothing programs it.
o = healthy()
o["ingress"] = []
legacy = gateway("legacy", "gateway", "nginx-old", host="*.legacy.example.com")
legacy["status"] = {"conditions": [{"type": "Accepted", "status": "False", "reason": "InvalidParameters", "message": "GatewayClass is not accepted", "lastTransitionTime": "2026-11-22T09:00:00Z"}]}
o["gateway"] = [gateway_class("eg", "gateway.envoyproxy.io/gatewayclass-controller"),
                gateway_class("nginx-old", "gateway.nginx.org/nginx-gateway-controller", accepted=False, reason="InvalidParameters", message="parametersRef: NginxProxy nginx-old-proxy-config not found"),
                gateway("public", "gateway", "eg", host="*.partners.example.com"), legacy, gateway("staging", "gateway", "traefik"),
                route_to("shop", "staging", "gateway", "checkout", "shop.example.com", "/api"),
                route_to("partners", "public", "gateway", "frontend", "www.partners.example.com")]
write("gateway-class-problems", o, {"route": {"url": "https://shop.example.com/api/cart/42", "cause": "no_route", "codes": [404]},
   "check": [{"cause": "no_route", "object": "Gateway/gateway/legacy", "severity": "error"},
             {"cause": "no_route", "object": "Gateway/gateway/staging", "severity": "error"}]})

# The request-body limit: ingress-nginx (its IngressClass says so) with a ConfigMap that leaves
# proxy-body-size at 1m. shop and uploads set nothing (uploads takes /upload: a warning); media
# raises it.
o = healthy()
o["classes"] = [{"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx", "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, "nginx-class")), "resourceVersion": "311", "creationTimestamp": "2026-01-10T08:00:00Z", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
                 "spec": {"controller": "k8s.io/ingress-nginx"}}]
uploads = ingress([("/upload", "checkout"), ("/api/imports", "checkout")], host="files.example.com"); uploads["metadata"] = meta("uploads")
media = ingress([("/media", "frontend")], ann={"nginx.ingress.kubernetes.io/proxy-body-size": "100m"}, host="cdn.example.com"); media["metadata"] = {**meta("media"), "annotations": media["metadata"]["annotations"]}
o["ingress"].extend([uploads, media])
o["configmaps"] = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {**meta("ingress-nginx-controller"), "namespace": "ingress-nginx", "labels": {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}},
                    "data": {"use-forwarded-headers": "true", "allow-snippet-annotations": "false"}}]
write("body-size-limit", o, {"route": {"url": "https://files.example.com/upload/photo.jpg", "ok": True},
   "check": [{"cause": "body_too_large", "object": "ConfigMap/ingress-nginx/ingress-nginx-controller", "severity": "warning"}]})
