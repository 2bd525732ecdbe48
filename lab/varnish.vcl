# Varnish 7 in front of the lab's nginx (configured like ingress-nginx, lab/nginx.conf): one request
# crosses two layers. Rendered by crates/culprit-lab (placeholders between double at-signs are
# filled in). varnishncsa writes the access log (lab/README.md has its -F format).
vcl 4.1;

backend ingress {
    .host = "127.0.0.1";
    .port = "@@NGINX_PORT@@";
}

# A path served by a backend nothing listens on (a decommissioned origin still in the VCL).
backend search {
    .host = "127.0.0.1";
    .port = "@@DEAD4@@";
}

sub vcl_recv {
    if (req.url ~ "^/old-app/") {
        # Routes the site no longer has: Varnish answers itself.
        return (synth(404, "Not Found"));
    }
    if (req.url ~ "^/search/") {
        set req.backend_hint = search;
    } else {
        set req.backend_hint = ingress;
    }
    # Cache what is the same for everyone: an application's 404 page and a redirect.
    if (req.method == "GET" && (req.url ~ "^/shop/status/404$" || req.url ~ "/redirect-flip$")) {
        return (hash);
    }
    return (pass);
}
