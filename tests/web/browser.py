"""Browser tests of `culprit serve` and `culprit logs --html`, in headless Chromium driven by
Playwright for Python (Debian's /usr/bin/chromium: Playwright cannot download its own browser on
these machines). Run by `cargo test --test web` (tests/web.rs), which passes the binary's path in
CULPRIT_BIN; scripts/test installs chromium and the pinned playwright.

A missing browser or Playwright is a failure, never a skip. With CULPRIT_SCREENSHOTS=DIR the suite
also writes the README's screenshots of the main pages into DIR.
"""

import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from playwright.sync_api import expect, sync_playwright

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("CULPRIT_BIN", os.path.join(ROOT, "target", "debug", "culprit"))
CHROMIUM = os.environ.get("CULPRIT_CHROMIUM", "/usr/bin/chromium")
EXAMPLE = os.path.join(ROOT, "examples", "incident-502", "ingress-nginx.log.gz")
SCENARIO = os.path.join(ROOT, "crates", "culprit-cluster", "tests", "scenarios", "no-ready-endpoints")
SHOTS = os.environ.get("CULPRIT_SCREENSHOTS")
MAX_UPLOAD = 1 << 20  # the server under test takes 1 MiB: the example (0.65 MiB) fits, 2 MiB does not
HEADLINE = "502s on default-checkout-8080 rose from 0% to 15%"
FLAGS = [
    "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def start_server():
    proc = subprocess.Popen(
        [BIN, "serve", "--listen", "127.0.0.1:0", "--max-upload", str(MAX_UPLOAD)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        line = proc.stderr.readline()
        m = re.search(r"serving (http://\S+/)", line)
        if m:
            return proc, m.group(1).rstrip("/")
        if proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError("culprit serve did not start")


class Browser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(CHROMIUM):
            raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test does)")
        cls.server, cls.base = start_server()
        cls.tmp = tempfile.mkdtemp(prefix="culprit-web-")
        cls.pw = sync_playwright().start()
        args = list(FLAGS)
        if os.geteuid() == 0:
            args.append("--no-sandbox")
        # launch() passes its own empty temporary --user-data-dir (it refuses one in args); the
        # other flags follow live.md.
        cls.browser = cls.pw.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.pw.stop()
        cls.server.terminate()
        cls.server.wait(timeout=10)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.ctx = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.ctx.new_page()
        self.dialogs = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.console_errors = []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))

    def tearDown(self):
        self.ctx.close()

    def shot(self, name, full_page=True):
        if SHOTS:
            os.makedirs(SHOTS, exist_ok=True)
            self.page.screenshot(path=os.path.join(SHOTS, name), full_page=full_page)

    def upload_example(self):
        p = self.page
        p.goto(self.base + "/logs")
        p.set_input_files("input[name=files]", EXAMPLE)
        p.click("button[type=submit]")
        p.wait_for_url(re.compile(r"/reports/[0-9a-f]+"))
        return p.url

    def test_walk_the_5xx_tree_to_no_ready_endpoints(self):
        p = self.page
        p.goto(self.base + "/tree/5xx")
        for answer in ["Yes", "503", "No endpoints at all, or none ready", "Pods run but are not ready (readiness probe failing)"]:
            p.locator("ol.answers a").filter(has_text=re.compile("^" + re.escape(answer) + "$")).click()
        expect(p).to_have_url(re.compile(r"/tree/5xx\?walk=1\.2\.0\.0$"))
        conclusion = p.locator("#conclusion")
        expect(conclusion.locator("[data-cause=no_ready_endpoints]")).to_be_visible()
        expect(conclusion.locator(".fix")).to_contain_text("fix the selector or labels, the readiness probe")
        self.shot("tree-5xx.png", full_page=False)
        # The graph draws the conclusion reached under its question.
        expect(p.locator("svg.graph a.leafnode.reached")).to_have_attribute("aria-label", re.compile("no_ready_endpoints"))
        # The walk is in the URL: reloading it (or sharing it) shows the same conclusion.
        p.goto(p.url)
        expect(p.locator("#conclusion [data-cause=no_ready_endpoints]")).to_be_visible()
        # A conclusion drawn in the graph is a link too: under 503's question, circuit_open.
        p.goto(self.base + "/tree/5xx?walk=1.2")
        p.locator("svg.graph a.leafnode", has_text="circuit_open").click()
        expect(p).to_have_url(re.compile(r"walk=1\.2\.1$"))
        expect(p.locator("#conclusion [data-cause=circuit_open]")).to_be_visible()

    def test_keyboard_only_walk_of_the_tree(self):
        p = self.page
        p.goto(self.base + "/tree/5xx")
        # Tab to the first answer of the question, Enter follows it.
        for _ in range(60):
            p.keyboard.press("Tab")
            focused = p.evaluate("document.activeElement && document.activeElement.getAttribute('data-key')")
            if focused == "1":
                break
        else:
            self.fail("Tab never reached the first answer")
        p.keyboard.press("Enter")
        expect(p).to_have_url(re.compile(r"walk=0$"))
        # Backspace goes one step back, number keys pick answers.
        p.keyboard.press("Backspace")
        expect(p).to_have_url(re.compile(r"/tree/5xx\?$|/tree/5xx$"))
        p.keyboard.press("2")
        expect(p).to_have_url(re.compile(r"walk=1$"))
        p.keyboard.press("3")
        expect(p).to_have_url(re.compile(r"walk=1\.2$"))
        expect(p.locator("#question h2")).to_contain_text("503")

    def test_fields_fill_every_command(self):
        p = self.page
        p.goto(self.base + "/code/503")
        p.fill("input[data-fill=namespace]", "shop")
        codes = p.locator("code[data-template*='<namespace>']")
        self.assertGreater(codes.count(), 0)
        for i in range(codes.count()):
            expect(codes.nth(i)).not_to_contain_text("<namespace>")
        expect(codes.first).to_contain_text("shop")
        self.assertIn("namespace=shop", p.url)

    def test_search_uf_lands_on_the_envoy_flag(self):
        p = self.page
        p.goto(self.base + "/")
        self.shot("search.png", full_page=False)
        p.fill("input[name=q]", "UF")
        p.keyboard.press("Enter")
        expect(p.locator("h2", has_text="Envoy response flag")).to_contain_text("UpstreamConnectionFailure")
        expect(p.locator("main a[href='/id/upstream_connection_refused']").first).to_be_visible()

    def test_upload_the_example_shows_its_headline_and_charts(self):
        url = self.upload_example()
        p = self.page
        expect(p.locator(".headline").first).to_contain_text(HEADLINE)
        chart = p.locator("svg.chart").first
        expect(chart).to_be_visible()
        self.assertGreater(int(chart.get_attribute("data-points")), 50)
        d = chart.locator("path.rate").get_attribute("d")
        self.assertGreater(d.count("L"), 50, "the rate line has its points")
        self.assertGreater(chart.locator("rect.shade").count(), 0, "the incident window is shaded")
        box = chart.bounding_box()
        self.assertGreater(box["width"], 300)
        if SHOTS:
            # Tall enough for the incident and its chart.
            p.set_viewport_size({"width": 1280, "height": 1880})
            self.shot("report.png", full_page=False)
            p.set_viewport_size({"width": 1280, "height": 900})
        # Filter the per-request table, server-side.
        p.select_option("select[name=status]", "502")
        p.select_option("select[name=service]", "default-checkout-8080")
        p.click("form.fields button[type=submit]")
        expect(p).to_have_url(re.compile(r"status=502"))
        rows = p.locator("table.requests tbody tr")
        expect(rows.first).to_be_visible()
        for i in range(rows.count()):
            self.assertEqual(rows.nth(i).locator("td.status").inner_text().strip(), "502")
        matching = int(p.locator("[data-matching]").get_attribute("data-matching"))
        self.assertGreater(matching, 50)
        p.select_option("select[name=cause]", "upstream_connection_refused")
        p.click("form.fields button[type=submit]")
        fewer = int(p.locator("[data-matching]").get_attribute("data-matching"))
        self.assertLess(fewer, matching)
        self.assertGreater(fewer, 0)
        # Paged: the next page exists for all requests.
        p.goto(url + "?page=2#requests")
        expect(p.locator("[data-matching]")).to_contain_text("page 2 of")
        self.assertEqual(self.console_errors, [])

    def test_a_script_user_agent_renders_as_text(self):
        p = self.page
        line = ('10.0.0.9 - - [08/Mar/2026:14:00:00 +0000] "GET /<img src=x onerror=alert(2)> HTTP/1.1" 502 150 '
                '"-" "<script>alert(1)</script>" 300 0.001 [default-x-80] [] 10.0.0.1:80 0 0.001 502 abc')
        p.goto(self.base + "/logs")
        p.fill("textarea[name=paste]", "\n".join([line] * 5))
        p.click("button[type=submit]")
        p.wait_for_url(re.compile(r"/reports/"))
        expect(p.locator("table.requests")).to_contain_text("/<img src=x onerror=alert(2)>")
        self.assertEqual(p.locator("main script").count(), 0)
        self.assertEqual(p.locator("main img").count(), 0)
        p.wait_for_timeout(300)
        self.assertEqual(self.dialogs, [])

    def test_an_oversized_upload_gets_the_413_page(self):
        big = os.path.join(self.tmp, "big.log")
        with open(big, "wb") as f:
            f.write(b"x" * (2 * MAX_UPLOAD))
        p = self.page
        p.goto(self.base + "/logs")
        p.set_input_files("input[name=files]", big)
        p.click("button[type=submit]")
        expect(p.locator("h1")).to_contain_text("413")
        expect(p.locator("main")).to_contain_text("--max-upload")
        expect(p.locator("main")).to_contain_text("1.0 MiB")
        # The cluster form too, with its own way out.
        p.goto(self.base + "/cluster")
        p.set_input_files("input[name=dump]", big)
        p.click("button[type=submit]")
        expect(p.locator("h1")).to_contain_text("413")
        expect(p.locator("main")).to_contain_text("culprit cluster check --from")

    def test_the_html_report_from_file_shows_the_same_headline(self):
        out = os.path.join(self.tmp, "report.html")
        subprocess.run([BIN, "logs", EXAMPLE, "--html", out], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        p = self.page
        p.goto("file://" + out)
        expect(p.locator(".headline").first).to_contain_text(HEADLINE)
        self.assertGreater(int(p.locator("svg.chart").first.get_attribute("data-points")), 50)
        # Its script runs under its own CSP (copy buttons): no CSP violation in the console.
        self.assertEqual([e for e in self.console_errors if "Content Security Policy" in e], [])

    def test_cluster_route_trace(self):
        p = self.page
        p.goto(self.base + "/cluster")
        files = [os.path.join(SCENARIO, f) for f in sorted(os.listdir(SCENARIO)) if f.endswith(".json")]
        p.set_input_files("input[name=dump]", files)
        p.fill("input[name=url]", "https://shop.example.com/api/cart/42")
        p.click("button[type=submit]")
        expect(p.locator(".chain .link.ok").first).to_contain_text("✓")
        broken = p.locator(".chain .link.bad")
        expect(broken.first).to_contain_text("✗")
        expect(broken.first).to_contain_text("503")
        expect(p.locator("h2", has_text="Checks, by object")).to_be_visible()
        expect(p.locator("main")).to_contain_text("Service/shop/checkout")
        self.shot("cluster.png", full_page=False)

    def test_pages_fit_a_phone_and_log_no_error(self):
        # 390 px wide: nothing widens the page (tables and graphs scroll in their own boxes), and
        # no page logs a console error (a missing favicon would).
        ctx = self.browser.new_context(viewport={"width": 390, "height": 800})
        p = ctx.new_page()
        errors = []
        p.on("console", lambda m: m.type == "error" and errors.append(m.text))
        report = self.upload_example()
        for path in ["/", "/code/502", "/tree/5xx?walk=1.2", "/chain", "/matrix", "/practice", "/logs",
                     "/cluster", "/causes", report.replace(self.base, "")]:
            p.goto(self.base + path)
            width = p.evaluate("document.documentElement.scrollWidth")
            self.assertLessEqual(width, 390, f"{path} is {width} px wide on a 390 px screen")
        ctx.close()
        self.assertEqual(errors, [])

    def test_a_file_dropped_on_the_zone_is_analysed(self):
        p = self.page
        p.goto(self.base + "/logs")
        line = ('10.0.0.9 - - [08/Mar/2026:14:00:00 +0000] "GET /dropped HTTP/1.1" 502 150 "-" "curl" 300 0.001 '
                '[default-x-80] [] 10.0.0.1:80 0 0.001 502 abc')
        data = p.evaluate_handle(
            "(text) => { const dt = new DataTransfer(); dt.items.add(new File([text], 'dropped.log')); return dt; }",
            "\n".join([line] * 3))
        p.dispatch_event(".drop", "drop", {"dataTransfer": data})
        expect(p.locator("[data-files]")).to_have_text("dropped.log")
        p.click("button[type=submit]")
        p.wait_for_url(re.compile(r"/reports/"))
        expect(p.locator("p.lead")).to_contain_text("3 requests")
        expect(p.locator("table.requests")).to_contain_text("/dropped")

    def test_screenshots_of_the_other_pages(self):
        if not SHOTS:
            return
        for path, name in [("/code/502", "code-502.png"), ("/chain?step=2&outcome=0", "chain.png"),
                           ("/matrix", "matrix.png"), ("/practice?q=4&cause=upstream_connection_refused&owner=devops",
                                                       "practice.png")]:
            self.page.goto(self.base + path)
            self.shot(name, full_page=False)


if __name__ == "__main__":
    unittest.main(verbosity=2)
