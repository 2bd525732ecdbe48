"""Writes cluster/: the `kubectl get … -o json` snapshot that goes with ingress-nginx.log.gz (pods
from cluster/pods.json, plus the Services, EndpointSlices, Deployments and Events around them).
Deterministic; run after changing it: python3 examples/incident-502/make_cluster.py"""
import json, os, uuid

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cluster")
NS = "default"
pods = json.load(open(os.path.join(here, "pods.json")))["items"]


def meta(name, labels=None):
    m = {"name": name, "namespace": NS, "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, NS + "/" + name)),
         "resourceVersion": "91830", "creationTimestamp": "2026-03-06T10:03:58Z"}
    if labels:
        m["labels"] = labels
    return m


def write(file, items):
    json.dump({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items},
              open(os.path.join(here, file), "w"), indent=2)


apps = {"checkout": 8080, "catalog": 8080, "users": 8080, "frontend": 80}
services, slices, deployments = [], [], []
for i, (app, port) in enumerate(apps.items()):
    services.append({"apiVersion": "v1", "kind": "Service", "metadata": meta(app, {"app": app}),
                     "spec": {"type": "ClusterIP", "clusterIP": f"10.96.40.{10 + i}", "clusterIPs": [f"10.96.40.{10 + i}"],
                              "ports": [{"name": "http", "port": port, "protocol": "TCP", "targetPort": "http"}],
                              "selector": {"app": app}, "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
                              "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack"},
                     "status": {"loadBalancer": {}}})
    mine = [p for p in pods if p["metadata"]["labels"]["app"] == app]
    ready = lambda p: any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"])
    slices.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                   "metadata": meta(f"{app}-h7x2q", {"kubernetes.io/service-name": app, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}),
                   "addressType": "IPv4", "ports": [{"name": "http", "port": mine[0]["spec"]["containers"][0]["ports"][0]["containerPort"], "protocol": "TCP"}],
                   "endpoints": [{"addresses": [p["status"]["podIP"]],
                                  "conditions": {"ready": ready(p), "serving": ready(p), "terminating": False},
                                  "nodeName": p["spec"]["nodeName"],
                                  "targetRef": {"kind": "Pod", "namespace": NS, "name": p["metadata"]["name"], "uid": p["metadata"]["uid"]}} for p in mine]})
    container = dict(mine[0]["spec"]["containers"][0])
    if app != "checkout":
        container["lifecycle"] = {"preStop": {"exec": {"command": ["sleep", "10"]}}}
    deployments.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(app, {"app": app}),
                        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": app}},
                                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                                 "template": {"metadata": {"labels": {"app": app}},
                                              "spec": {"containers": [container], "terminationGracePeriodSeconds": 30}}},
                        "status": {"replicas": 3, "readyReplicas": sum(map(ready, mine)), "availableReplicas": sum(map(ready, mine)), "updatedReplicas": 3}})

crashing = "checkout-7d9f8c6b5-x2k9p"


def event(reason, message, count, first, last):
    return {"apiVersion": "v1", "kind": "Event", "metadata": meta(f"{crashing}.{uuid.uuid5(uuid.NAMESPACE_DNS, reason).hex[:16]}"),
            "involvedObject": {"kind": "Pod", "namespace": NS, "name": crashing, "apiVersion": "v1", "fieldPath": "spec.containers{app}"},
            "reason": reason, "message": message, "source": {"component": "kubelet", "host": "node-1"},
            "firstTimestamp": first, "lastTimestamp": last, "count": count, "type": "Warning",
            "reportingComponent": "kubelet", "reportingInstance": "node-1"}


events = [
    event("BackOff", f"Back-off restarting failed container app in pod {crashing}_default(2401877a-8c4c-5be6-8ecd-fa044966b165)", 23, "2026-03-08T13:51:40Z", "2026-03-08T14:08:02Z"),
    event("Unhealthy", 'Readiness probe failed: Get "http://10.244.1.5:8080/healthz": dial tcp 10.244.1.5:8080: connect: connection refused', 61, "2026-03-08T13:50:12Z", "2026-03-08T14:07:55Z"),
]
write("services.json", services)
write("endpointslices.json", slices)
write("deployments.json", deployments)
write("events.json", events)
