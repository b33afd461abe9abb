"""The duty-officer console in a real browser: headless Chromium driven by Selenium (Debian's `chromium` and
`chromium-driver`, Selenium from PyPI) against a `watershed serve` this script starts itself.

It signs in with a token, files an incident through the API and sees it appear in the list without a reload, with
its alert (DOM state, a notification through an injected `Notification` stub, the permission asked for), opens it,
acknowledges a task by clicking and sees the state change; restarts the server and sees the page say
"reconnecting…", resume, and show an event filed after the restart; shows a 403 (a task of another unit) as a
message; shows no task buttons to a viewer; marks an exercise incident on the list and the incident view; lists and
opens an incident a neighbour's CAP 1.2 alert opened (Guangdong posting the OASIS example A.1 to the peer port with
its peer-client certificate, from `watershed certs`); on a Chinese screen files an initial report with its impacts
through the console's form — a refusal shown next to its field first — and sees the grading hint the impacts give
said in the level review, with the report obligation and a neighbour's notification in Chinese.

Screenshots: Tests/browser/out/console.png (the incident view at 1280×800), console-full.png (the same, whole
page), console-list.png (the list with its alerts) and console-phone.png (390 px wide).

Usage: python3 Tests/browser/console_test.py [WATERSHED_BINARY]
(default: `swift build --show-bin-path`/watershed). Bounded: every wait is at most 30 s; the whole run about a
minute. Ends with "N passed, N failed"; exit 0 when none failed.
"""
import base64
import datetime
import json
import os
import re
import pathlib
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "browser" / "out"
OFFICER = "wsd-dev-officer-yizhou"  # 451203 Yizhou District, county-duty-officer
OTHER_OFFICER = "wsd-dev-officer-liuzhou"  # 450200 Liuzhou, city-duty-chief
VIEWER = "wsd-dev-viewer-gx"
DRILL = "wsd-dev-drill-liuzhou"  # 450200 Liuzhou, city-duty-chief, the drill role only

# Injected before the page's own scripts: a Notification that records what the page does with it, a count of the
# tones the alert plays (a headless browser has no speaker), and the URLs of the WebSockets it opens.
STUBS = """
window.__notifications = [];
window.__permissionRequests = 0;
window.__tones = 0;
class StubNotification {
  constructor(title, options) { window.__notifications.push({ title, body: (options || {}).body, tag: (options || {}).tag }); }
  close() {}
}
StubNotification.permission = 'default';
StubNotification.requestPermission = function () {
  window.__permissionRequests += 1;
  StubNotification.permission = 'granted';
  return Promise.resolve('granted');
};
Object.defineProperty(window, 'Notification', { value: StubNotification, configurable: true, writable: true });
window.__sockets = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(url, protocols) { window.__sockets.push(String(url)); super(url, protocols); }
};
if (window.AudioContext) {
  const create = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () { window.__tones += 1; return create.call(this); };
}
"""


# The text a person reads on the page: visible text nodes, the options of the selects, placeholders, titles and
# aria-labels. What another person wrote (a report's cause, a neighbour's CAP headline, a signing officer's name) is
# marked translate="no" by the console (the HTML attribute for "do not translate this") and is left out.
VISIBLE_TEXT = """
const out = [];
const skipped = (node) => node.closest('[translate="no"], script, style, svg title');
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const parent = node.parentElement;
  if (!parent || skipped(parent) || !node.textContent.trim()) continue;
  if (parent.tagName !== 'OPTION' && !parent.checkVisibility({ visibilityProperty: true })) continue;
  out.push(node.textContent.trim());
}
for (const element of document.querySelectorAll('[placeholder], [title], [aria-label]')) {
  if (skipped(element) || !element.checkVisibility()) continue;
  for (const name of ['placeholder', 'title', 'aria-label']) {
    if (element.getAttribute(name)) out.push(element.getAttribute(name));
  }
}
out.push(document.title);
return out;
"""
# On a Chinese screen, runs of three or more Latin letters allowed (issue 21): codes and abbreviations that are the
# same in both languages, and the level III (levels I–IV are Roman numerals in Chinese too). Everything else of three letters or more is an untranslated word.
LATIN_ALLOWED_ZH = {"III", "EXERCISE", "CAP", "English", "Watershed", "WSS", "UTC", "GMT", "MEP", "MEE", "CNY", "API"}
LATIN_RUN = re.compile(r"[A-Za-z]{3,}")
# On an English screen, Chinese allowed only in the names of things the playbooks name in Chinese alone, and in
# these words given on purpose in both languages: the language switch, the map's title, the drill banner.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
CJK_ALLOWED_EN = {"中文", "一图", "演习"}


def untranslated(texts, language):
    """The words on a `language` ("zh" or "en") screen that are in the other language, with where they were."""
    found = []
    for text in texts:
        if language == "zh":
            words = [w for w in LATIN_RUN.findall(text) if w not in LATIN_ALLOWED_ZH]
        else:
            words = [w for w in CJK.findall(text) if w not in CJK_ALLOWED_EN]
        found += [(word, text[:80]) for word in words]
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`watershed serve` on a port and data directory of its own."""

    def __init__(self, binary, port, data, peer_port):
        self.binary, self.port, self.data, self.peer_port = binary, port, data, peer_port
        self.process = None
        self.log = open(data.parent / "serve.log", "ab")

    @property
    def ca(self):
        return str(self.data / "tls" / "ca.pem")

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "serve", "--port", str(self.port), "--peer-port", str(self.peer_port), "--data",
             str(self.data), "--playbooks",
             str(ROOT / "playbooks"), "--seeds", str(ROOT / "seeds")],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.data.parent)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"watershed serve exited with {self.process.returncode}; see {self.data.parent}/serve.log")
            try:
                if os.path.exists(self.ca) and self.call("GET", "/healthz", raw=True) == b"ok\n":
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.3)
        raise RuntimeError("watershed serve did not answer /healthz within 60 s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def call(self, method, path, token=None, body=None, raw=False):
        context = ssl.create_default_context(cafile=self.ca)
        request = urllib.request.Request(f"https://127.0.0.1:{self.port}{path}", method=method)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, data=data, context=context, timeout=20) as response:
            payload = response.read()
        return payload if raw else json.loads(payload)


def report(discovered, exercise=False, km=0):
    """The Longjiang cadmium report (Tests/Fixtures/longjiang-initial-report.json), discovered at `discovered`."""
    body = json.loads((ROOT / "Tests" / "Fixtures" / "longjiang-initial-report.json").read_text())
    body["discoveredAt"] = discovered.isoformat(timespec="seconds")
    body["place"]["river"]["km"] = km
    if exercise:
        body["exercise"] = True
    return body


class Checks:
    def __init__(self):
        self.passed, self.failed = 0, 0

    def run(self, name, body):
        try:
            body()
        except Exception:  # noqa: BLE001 — every failure is reported and counted, the run goes on where it can
            self.failed += 1
            print(f"FAIL - {name}")
            traceback.print_exc()
            return False
        self.passed += 1
        print(f"ok - {name}")
        return True


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else None
    if binary is None:
        bin_path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True,
                                  check=True).stdout.strip()
        binary = os.path.join(bin_path, "watershed")
    work = pathlib.Path(tempfile.mkdtemp(prefix="watershed-console-"))
    OUT.mkdir(parents=True, exist_ok=True)
    # Guangxi's data directory with its CA, and Guangdong's peer-client certificate to post CAP with.
    subprocess.run([binary, "certs", "--province", "450000", "--province", "440000", "--out", str(work / "certs")],
                   check=True, capture_output=True)
    server = Server(binary, free_port(), work / "certs" / "450000", free_port())
    server.start()

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors",
                 "--window-size=1280,800", "--autoplay-policy=no-user-gesture-required", "--lang=zh-CN"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The duty officer's local time: Guangxi, UTC+8.
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver", env={**os.environ, "TZ": "Asia/Shanghai"})
    driver = webdriver.Chrome(options=options, service=service)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": STUBS})
    # The page at exactly 1280×800 CSS pixels (the window size includes no browser chrome only in theory).
    desk = {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", desk)
    wait = WebDriverWait(driver, 30, ignored_exceptions=[StaleElementReferenceException])
    checks = Checks()
    base = f"https://127.0.0.1:{server.port}/"
    state = {}

    class Live:
        """The index-th match of a selector, found again on every use: live events re-render the list and the
        incident view, so an element found a moment ago may be gone (stale) when it is read or clicked."""

        def __init__(self, selector, index):
            self.selector, self.index = selector, index

        def _element(self):
            return driver.find_elements(By.CSS_SELECTOR, self.selector)[self.index]

        def _retry(self, use):
            for _ in range(60):
                try:
                    return use(self._element())
                except (StaleElementReferenceException, IndexError):
                    time.sleep(0.05)
            return use(self._element())

        def __getattr__(self, name):
            value = self._retry(lambda element: getattr(element, name))
            if callable(value):
                return lambda *args, **kwargs: self._retry(lambda element: getattr(element, name)(*args, **kwargs))
            return value

    def css(selector):
        count = len(driver.find_elements(By.CSS_SELECTOR, selector))
        return [Live(selector, index) for index in range(count)]

    def click(selector):
        """Clicks the first match, finding it again if the page re-rendered it in between (live events do)."""
        def attempt():
            try:
                found = css(selector)
                if not found:
                    return False
                found[0].click()
                return True
            except StaleElementReferenceException:
                return False
        until(attempt, f"clicking {selector}")

    def first_row(selector, *attributes):
        """The attributes of the first match, read again if the page re-rendered it in between."""
        def attempt():
            try:
                found = css(selector)
                return [found[0].get_attribute(a) for a in attributes] if found else False
            except StaleElementReferenceException:
                return False
        return until(attempt, f"reading {selector}")

    def until(condition, message):
        try:
            return wait.until(lambda _: condition())
        except TimeoutException:
            raise AssertionError(f"timed out waiting: {message}") from None

    def full_page(path):
        size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
        pathlib.Path(path).write_bytes(base64.b64decode(shot["data"]))

    def sign_in(token):
        if css("#signout") and css("#signout")[0].is_displayed():
            css("#signout")[0].click()
        until(lambda: css("#token")[0].is_displayed(), "the sign-in form")
        css("#token")[0].send_keys(token)
        css("#signin button[type=submit]")[0].click()
        until(lambda: css("#who")[0].is_displayed(), "who I am")
        until(lambda: "status-live" in css("#status")[0].get_attribute("class"), "the stream to be live")

    def sign_in_and_see_my_unit():
        driver.get(base)
        until(lambda: css("#token") and css("#token")[0].is_displayed(), "the sign-in form")
        assert driver.execute_script("return document.documentElement.lang") == "zh-CN"
        css("#lang")[0].click()  # to English
        until(lambda: css("#signin button[type=submit]")[0].text == "Sign in", "English labels")
        sign_in(OFFICER)
        who = css("#who")[0].text
        assert "451203" in who and "Yizhou" in who and "officer" in who, who
        assert driver.execute_script("return sessionStorage.getItem('watershed.token')") == OFFICER
        assert driver.execute_script("return window.__permissionRequests") == 1, "asked for notification permission"
        sockets = driver.execute_script("return window.__sockets")
        assert sockets and all("/v1/stream?" in u and "ticket=" in u and OFFICER not in u for u in sockets), sockets

    def filed_incident_appears_with_its_alert():
        now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))
        filed = server.call("POST", "/v1/incidents", token=OFFICER, body=report(now - datetime.timedelta(hours=2)))
        incident = filed["incident"]
        state["incident"] = incident
        row = f'li.incident[data-incident-id="{incident["id"]}"]'
        until(lambda: css(row), "the new incident in the list without a reload")
        assert incident["reference"] in css(row)[0].text
        until(lambda: "alerting" in css(row)[0].get_attribute("class"), "the row highlighted")
        alert = f'li.alert[data-alert-key="incident:{incident["id"]}"]'
        until(lambda: css(alert), "the incident alert")
        # Tasks for my unit (the spill is in Yizhou): a task alert each, and a notification each.
        until(lambda: css("li.alert-task"), "a task alert for my unit")
        notes = driver.execute_script("return window.__notifications")
        assert any(n["title"] == "New environmental incident" and incident["reference"] in n["body"] for n in notes), notes
        assert any(n["title"] == "New task" for n in notes), notes
        assert driver.execute_script("return window.__tones") > 0, "the alert played its tones"
        assert css("#alert-count")[0].text.startswith("("), "the alert count"
        driver.save_screenshot(str(OUT / "console-list.png"))

    def open_incident_and_acknowledge_a_task():
        incident = state["incident"]
        click(f'li.incident[data-incident-id="{incident["id"]}"] a')
        until(lambda: css("tr.task.mine[data-state=dispatched] button[data-action=ack]"), "a task of mine to acknowledge")
        reference, task_id = first_row("tr.task.mine[data-state=dispatched]", "data-task-ref", "data-task-id")
        state["acked"] = reference
        assert css(f'li.alert[data-alert-key="task:{task_id}"]'), "that task was alerted"
        click(f'tr.task[data-task-ref="{reference}"] button[data-action=ack]')
        selector = f'tr.task[data-task-ref="{reference}"]'
        until(lambda: css(selector)[0].get_attribute("data-state") == "acknowledged", "the task acknowledged")
        assert css(selector)[0].find_element(By.CSS_SELECTOR, "button[data-action=start]"), "start is offered next"
        until(lambda: not css(f'li.alert[data-alert-key="task:{task_id}"]'), "its alert acknowledged")
        # The rest of the view: timeline with local times and offset, reports due, arrivals, the map.
        timeline = css(".timeline")[0].text
        number = reference.split("/")[-1]
        until(lambda: f"task acknowledged {number}" in css(".timeline")[0].text, "the acknowledgement in the timeline")
        timeline = css(".timeline")[0].text
        assert "+08:00" in timeline, timeline[:200]
        assert css(".obligation"), "legal reports due"
        assert len(css("tr.arrival")) > 3, "the arrival table"
        bands = [e.text for e in css("tr.arrival [data-testid=band]")]
        assert len(bands) == len(css("tr.arrival")), "every arrival shows its band (latest arrival and width)"
        assert all("+08:00" in b and " h" in b for b in bands), bands[:3]
        until(lambda: css("svg.map polyline.map-river") and css("svg.map .map-spill") and css("svg.map .map-front"),
              "the command map with river, spill point and front")
        assert css("svg.map .map-intake"), "intakes on the map"
        assert not css("[data-testid=drill-banner]"), "no drill banner on a real incident"
        # The first screen at 1280×800 (issue 21): level, what, where and the next deadline in the head, then the map
        # and the arrival table beside it, all within the first 800 px of the page.
        driver.execute_script("window.scrollTo(0, 0)")
        box = lambda selector: driver.execute_script(
            "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
            "return {top: r.top + window.scrollY, bottom: r.bottom + window.scrollY, left: r.left};", selector)
        driver.save_screenshot(str(OUT / "console.png"))
        deadline = css("[data-testid=next-deadline] dd")[0].text
        assert "+08:00" in deadline and "/T" in deadline, deadline
        for selector in [".incident-head .level", "[data-testid=next-deadline]", "svg.map", ".arrivals-panel tr.arrival"]:
            where = box(selector)
            assert where["bottom"] <= 800, f"{selector} ends at {where['bottom']:.0f} px, below the first 800"
        assert box(".arrivals-panel")["left"] > box("svg.map")["left"], "the arrival table beside the map"
        full_page(OUT / "console-full.png")

    def restart_and_resume():
        server.stop()
        until(lambda: css("#reconnecting")[0].is_displayed(), 'the "reconnecting…" banner')
        assert "status-reconnecting" in css("#status")[0].get_attribute("class")
        server.start()
        until(lambda: "status-live" in css("#status")[0].get_attribute("class"), "live again after the restart")
        assert not css("#reconnecting")[0].is_displayed()
        # A new event after the restart: another of my tasks acknowledged through the API shows up in the view.
        incident = state["incident"]
        tasks = server.call("GET", f"/v1/tasks?incident={incident['id']}&assignee=451203&state=dispatched", token=OFFICER)
        assert tasks, "another dispatched task of mine"
        task = tasks[0]
        server.call("POST", f"/v1/tasks/{task['id']}/ack", token=OFFICER)
        selector = f'tr.task[data-task-ref="{task["reference"]}"]'
        until(lambda: css(selector)[0].get_attribute("data-state") == "acknowledged", "the change made after the restart")

    def other_units_tasks_offer_no_buttons():
        # Issue 21: what I may not press is not offered. Liuzhou's officer sees Yizhou's and Hechi's tasks without a
        # button; the server's own rule (the detail's `actions`) decides, the same one that answers 403 not_assignee.
        sign_in(OTHER_OFFICER)
        driver.get(base + f"#/incident/{state['incident']['id']}")
        until(lambda: css("#who")[0].is_displayed() and css("tr.task:not(.mine)[data-state=dispatched]"),
              "the incident as Liuzhou's officer")
        offered = css("tr.task:not(.mine) button[data-action]")
        assert not offered, f"{len(offered)} buttons on other units' tasks"
        for row in css("tr.task.mine[data-state=dispatched]"):
            assert row.find_elements(By.CSS_SELECTOR, "button[data-action=ack]"), "my dispatched task offers ack"
        # The API agrees: acknowledging another unit's task is refused, and nothing changes.
        reference, task_id = first_row("tr.task:not(.mine)[data-state=dispatched]", "data-task-ref", "data-task-id")
        try:
            server.call("POST", f"/v1/tasks/{task_id}/ack", token=OTHER_OFFICER)
            raise AssertionError("acknowledging another unit's task was accepted")
        except urllib.error.HTTPError as error:
            assert error.code == 403 and b"not_assignee" in error.read(), error.code
        assert css(f'tr.task[data-task-ref="{reference}"]')[0].get_attribute("data-state") == "dispatched"

    def viewer_gets_no_buttons():
        sign_in(VIEWER)
        driver.get(base + f"#/incident/{state['incident']['id']}")
        until(lambda: css("tr.task"), "the tasks as a viewer")
        assert not css("button[data-action]"), "a viewer has no task buttons"

    def exercise_is_marked():
        sign_in(OFFICER)
        # Signing in again: my tasks still waiting for acknowledgement are alerted at once.
        until(lambda: css("li.alert-task"), "the tasks still waiting for me")
        now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))
        filed = server.call("POST", "/v1/incidents", token=OFFICER, body=report(now, exercise=True, km=10))
        incident = filed["incident"]
        row = f'li.incident.exercise[data-incident-id="{incident["id"]}"]'
        until(lambda: css(row), "the exercise in the list")
        assert css(row + " .drill-badge"), "drill badge in the list"
        until(lambda: css(f'li.alert.exercise[data-alert-key="incident:{incident["id"]}"]'), "the exercise alert, marked")
        notes = driver.execute_script("return window.__notifications")
        assert any(n["title"].startswith("[EXERCISE]") for n in notes), notes
        click(row + " a")
        until(lambda: css("[data-testid=drill-banner]"), "the drill banner on the incident view")
        assert css("svg.map .map-exercise"), "the map marked as an exercise"
        state["exercise"] = incident

    def a_drill_participant_sees_the_map():
        # Issue 21: a drill participant's token reads the playbook maps (it got 403 and an empty map before). A fresh
        # page, so that no map the officer's session loaded is still cached.
        driver.get("about:blank")
        driver.get(base)
        until(lambda: css("#token") or css("#signout"), "the console, loaded again")
        sign_in(DRILL)
        driver.get(base + f"#/incident/{state['exercise']['id']}")
        until(lambda: css("[data-testid=drill-banner]"), "the exercise as a drill participant")
        until(lambda: css("svg.map polyline.map-river") and css("svg.map .map-intake"),
              "the playbook's river and intakes drawn for the participant")
        assert not css("#error") or not css("#error")[0].is_displayed(), css("#error")[0].text

    def a_cap_alert_is_an_incident_like_any_other():
        sign_in(VIEWER)
        guangdong = work / "certs" / "440000" / "tls"
        context = ssl.create_default_context(cafile=server.ca)
        context.load_cert_chain(str(guangdong / "peer-client.pem"), str(guangdong / "peer-client-key.pem"))
        document = (ROOT / "Tests" / "Fixtures" / "cap" / "01-oasis-A1-homeland-security-alert.xml").read_bytes()
        request = urllib.request.Request(f"https://127.0.0.1:{server.peer_port}/v1/feeds/cap", method="POST",
                                         data=document, headers={"Content-Type": "application/cap+xml"})
        with urllib.request.urlopen(request, context=context, timeout=20) as response:
            assert response.status == 200, response.status
        # Listed live under our reference (the year of its `sent` in China Standard Time), marked as CAP.
        row = 'li.incident[data-reference="GX-2003-0001"]'
        until(lambda: css(row), "the CAP alert's incident in the list")
        assert "CAP" in css(row + " .place")[0].text, css(row)[0].text
        click(row + " a")
        until(lambda: css("[data-testid=cap-thread] li"), "the CAP thread on the incident view")
        assert css("[data-testid=incident-reference]")[0].text == "GX-2003-0001"
        assert "Homeland Security Sets Code ORANGE" in css("[data-testid=cap-thread]")[0].text

    def a_level_below_the_plans_grade_is_said():
        sign_in(VIEWER)
        now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))
        body = report(now, km=20)
        body["level"] = "IV"
        body["impacts"] = {"transnational": True}
        incident = server.call("POST", "/v1/incidents", token=OFFICER, body=body)["incident"]
        was = driver.execute_script("return localStorage.getItem('watershed.lang')")
        driver.execute_script("localStorage.setItem('watershed.lang', 'zh')")
        try:
            driver.get(base + f"#/incident/{incident['id']}")
            driver.refresh()
            until(lambda: css("[data-testid=level-review]"), "the level review on the incident view")
            text = css("[data-testid=level-review]")[0].text
            # In Chinese: the level set, the plan's grade, the reason, and the request to review.
            for words in ("已定为 IV 级", "为 I 级", "造成重大跨国境影响 → I级", "请指挥长复核级别"):
                assert words in text, (words, text)
        finally:
            driver.execute_script("arguments[0] === null ? localStorage.removeItem('watershed.lang')"
                                  " : localStorage.setItem('watershed.lang', arguments[0])", was)

    def a_report_with_impacts_filed_through_the_form_in_chinese():
        sign_in(OFFICER)
        was = driver.execute_script("return localStorage.getItem('watershed.lang')")
        driver.execute_script("localStorage.setItem('watershed.lang', 'zh')")
        try:
            driver.get(base + "#/")
            driver.refresh()
            until(lambda: css("#who")[0].is_displayed() and css("[data-testid=new-report]"), "the list, in Chinese")
            click("[data-testid=new-report]")
            until(lambda: css("[data-testid=report-form]"), "the report form")
            assert "填报初报" in css("[data-testid=report-form] h2")[0].text
            form = driver.find_element(By.CSS_SELECTOR, "[data-testid=report-form]")

            def put(name, value):
                element = form.find_element(By.NAME, name)
                element.clear()
                element.send_keys(value)

            Select(form.find_element(By.NAME, "river")).select_by_value("longjiang")
            put("km", "0")
            # The catalogue's pollutants by their Chinese names (GET /v1/pollutants): 镉 is cadmium.
            Select(form.find_element(By.NAME, "pollutant")).select_by_visible_text("镉")
            # 0.1 kg of cadmium: far below the standard downstream, so the plan itself grades nothing and the
            # hint comes from the impacts stated.
            put("massKg", "0.1")
            put("informationSource", "12369热线")
            put("cause", "企业违法排放含镉废水")
            Select(form.find_element(By.NAME, "level")).select_by_value("IV")
            put("deaths", "3")
            put("intakeName0", "德胜镇水厂取水口")
            Select(form.find_element(By.NAME, "intakeServes0")).select_by_value("township")
            put("signingOfficer", "韦局长")
            put("contactName", "李明")
            put("contactPhone", "0778-1234567")
            # A loss below zero: refused (400/422) naming impacts.directLossCNY, shown next to that field.
            put("directLossCNY", "-5")
            click("[data-testid=report-submit]")
            slot = '[data-error-for="impacts.directLossCNY"]'
            try:
                until(lambda: css(slot) and css(slot)[0].text, "the refusal next to the loss field")
            except AssertionError:
                raise AssertionError(f"no refusal at the loss field; the form says: "
                                     f"{css('[data-testid=report-error]')[0].text!r}") from None
            # In Chinese: the reason next to the field, the field named by its label above the form, the server's
            # own (English) words folded away.
            assert css(slot)[0].text == "须为零或正数", css(slot)[0].text
            said = css("[data-testid=report-error]")[0]
            assert said.get_attribute("data-field") == "impacts.directLossCNY", said.get_attribute("data-field")
            assert "填写的内容不符合要求（须为零或正数） — 直接经济损失（元）" in said.text, said.text
            assert "zero or more" not in said.text, said.text
            assert "#/report" in driver.current_url, "still on the form"
            # 30,000,000 CNY: at least 20 M and under 100 M → II (2014 plan annex; Grading.swift); a township's
            # intake cut off → III; the higher, II, is above the IV set: the level review says so.
            put("directLossCNY", "30000000")
            click("[data-testid=report-submit]")
            until(lambda: "#/incident/" in driver.current_url, "the new incident's view after filing")
            until(lambda: css("[data-testid=level-review]"), "the level review on the incident view")
            text = css("[data-testid=level-review]")[0].text
            # The reasons in the annex's words (Grading.swift), the loss in 万元.
            for words in ("已定为 IV 级", "为 II 级", "直接经济损失3000万元 → II级", "死亡3人 → III级",
                          "乡镇集中式饮用水水源地取水中断 → III级", "请指挥长复核级别"):
                assert words in text, (words, text)
            # A follow-up through the form states a transnational impact established since: the plan is graded
            # again (I), and the review says so; the casualty fields left empty keep the 3 deaths reported.
            filed = driver.current_url
            click("[data-testid=file-followup]")
            until(lambda: css("[data-testid=report-form][data-kind=followUp]"), "the follow-up form")
            form = driver.find_element(By.CSS_SELECTOR, "[data-testid=report-form]")
            put("summary", "下游出境断面超标，影响越南")
            put("signingOfficer", "韦局长")
            put("contactName", "李明")
            put("contactPhone", "0778-1234567")
            form.find_element(By.NAME, "transnational").click()
            click("[data-testid=report-submit]")
            until(lambda: driver.current_url == filed, "back on the incident after the follow-up")
            until(lambda: css("[data-testid=level-review]")
                  and "造成重大跨国境影响 → I级" in css("[data-testid=level-review]")[0].text,
                  "the review graded again on the follow-up's impact")
            review = css("[data-testid=level-review]")[0].text
            assert "死亡3人 → III级" in review and "直接经济损失3000万元 → II级" in review, review
            # Level IV set: Yizhou's initial report to its government and Hechi's bureau within 4 h of discovery
            # (MEP Order No. 17 Art. 3), met by this report, signed as Yizhou, filed at once.
            until(lambda: css("[data-testid=obligation-zh]"), "the obligation in Chinese")
            row = css("tr.obligation")[0].text
            assert "宜州区生态环境局向宜州区人民政府、河池市生态环境局报送初报，发现后4小时内" in row, row
            assert "已报" in row, row
            # The first incident (21,000 kg at km 0) notifies Guangdong; its notification reads in Chinese.
            driver.get(base + f"#/incident/{state['incident']['id']}")
            until(lambda: css("[data-testid=peer-zh]"), "a neighbour's notification in Chinese")
            peer = css("[data-testid=peer-zh]")[0].text
            assert peer.startswith("向广东省通报（"), peer
            assert "（北京时间）" in peer and "通报时限" in peer, peer
        finally:
            driver.execute_script("arguments[0] === null ? localStorage.removeItem('watershed.lang')"
                                  " : localStorage.setItem('watershed.lang', arguments[0])", was)

    def no_untranslated_string():
        # Issue 21: every word in the chosen language. The screens an officer sees — the list with its alerts, a
        # real incident with tasks, reports due, a neighbour's notification, arrivals and timeline, an exercise, a
        # neighbour's CAP alert, the report form — in Chinese, then in English, read as text.
        sign_in(OFFICER)
        was = driver.execute_script("return localStorage.getItem('watershed.lang')")
        screens = [("list", "#/", "li.incident"),
                   ("incident", f"#/incident/{state['incident']['id']}", "tr.task"),
                   ("report form", "#/report", "[data-testid=report-form]"),
                   ("report form refused", "#/report", "[data-testid=report-form]"),
                   ("follow-up form", f"#/incident/{state['incident']['id']}/report", "[data-testid=report-form]")]
        if "exercise" in state:
            screens.append(("exercise", f"#/incident/{state['exercise']['id']}", "[data-testid=drill-banner]"))
        cap = server.call("GET", "/v1/incidents?limit=200", token=OFFICER)
        cap = [i for i in cap if i.get("reference") == "GX-2003-0001"]
        if cap:
            screens.append(("CAP alert", f"#/incident/{cap[0]['id']}", "[data-testid=cap-thread] li"))
        found = []
        try:
            for language in ("zh", "en"):
                driver.execute_script("localStorage.setItem('watershed.lang', arguments[0])", language)
                for name, fragment, ready in screens:
                    driver.get(base + fragment)
                    driver.refresh()
                    until(lambda: css(ready) and css("#who")[0].is_displayed(), f"the {name} in {language}")
                    if name == "report form refused":
                        # Sent empty: the server's refusal, as the form shows it.
                        click("[data-testid=report-submit]")
                        until(lambda: css("[data-testid=report-error]")[0].is_displayed(), f"the refusal in {language}")
                    time.sleep(0.3)  # the map and the arrival table fill in after the detail
                    found += [(language, name, word, text) for word, text in
                              untranslated(driver.execute_script(VISIBLE_TEXT), language)]
                    if name in ("list", "incident", "report form refused"):
                        driver.execute_script("window.scrollTo(0, 0)")
                        driver.save_screenshot(str(OUT / f"console-{name.replace(' ', '-')}-{language}.png"))
        finally:
            driver.execute_script("arguments[0] === null ? localStorage.removeItem('watershed.lang')"
                                  " : localStorage.setItem('watershed.lang', arguments[0])", was)
        first = {}
        for language, name, word, text in found:
            first.setdefault((language, word), (name, text))
        assert not first, f"{len(first)} untranslated words:\n" + "\n".join(
            f"  [{language}] {name}: {word!r} in {text!r}" for (language, word), (name, text) in sorted(first.items()))

    def a_browser_without_a_chinese_font():
        # Issue 21: the officer's browser is not ours to set up. This one has a Chinese font of its own (CI installs
        # fonts-wqy-microhei) and uses it. A second browser whose fontconfig knows only the Latin fonts (DejaVu,
        # Liberation) draws the console's Chinese with the server's web font (/fonts/watershed-cjk.woff2); with the
        # font's URL blocked as well it is told which font to install, in English as well as Chinese.
        assert driver.execute_script("return document.documentElement.dataset.chineseFont") == "system"
        assert not css("[data-testid=font-warning]")[0].is_displayed()
        latin = work / "fonts-latin-only"
        latin.mkdir(exist_ok=True)
        (latin / "fonts.conf").write_text(
            '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
            + "".join(f"  <dir>{d}</dir>\n" for d in ("/usr/share/fonts/truetype/dejavu",
                                                       "/usr/share/fonts/truetype/liberation") if os.path.isdir(d))
            + f"  <cachedir>{latin}/cache</cachedir>\n</fontconfig>\n")
        env = {**os.environ, "TZ": "Asia/Shanghai", "FONTCONFIG_FILE": str(latin / "fonts.conf")}
        bare = webdriver.Chrome(options=options, service=Service(
            shutil.which("chromedriver") or "/usr/bin/chromedriver", env=env))
        found = lambda: bare.execute_script("return document.documentElement.dataset.chineseFont")
        try:
            bare.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", desk)
            bare.get(base)
            WebDriverWait(bare, 30).until(lambda _: found())
            assert found() == "webfont", found()
            assert not bare.find_element(By.CSS_SELECTOR, "[data-testid=font-warning]").is_displayed()
            assert bare.execute_script("return document.fonts.check('16px \"Watershed CJK\"', '流域突发环境事件')")
            # What Chromium drew the heading and the token's label with (DevTools' CSS.getPlatformFontsForNode): every
            # Chinese character with the web font — not boxes from DejaVu, as when the web font came after the
            # generic system-ui in the font-family list.
            bare.execute_cdp_cmd("DOM.enable", {})
            bare.execute_cdp_cmd("CSS.enable", {})
            root = bare.execute_cdp_cmd("DOM.getDocument", {})["root"]["nodeId"]
            for selector in ("header.top h1", "label[for=token]"):
                node = bare.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
                fonts = bare.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
                text = bare.find_element(By.CSS_SELECTOR, selector).text
                chinese = len(re.findall(r"[\u4e00-\u9fff]", text))
                web = sum(f["glyphCount"] for f in fonts if f["isCustomFont"])
                assert chinese > 0 and web >= chinese, (selector, text, fonts)
            bare.save_screenshot(str(OUT / "console-web-font-zh.png"))
            # The font cannot be fetched: no Chinese at all, and the page says what to install.
            bare.execute_cdp_cmd("Network.enable", {})
            bare.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
            bare.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*watershed-cjk.woff2*"]})
            bare.get("about:blank")
            bare.get(base)
            WebDriverWait(bare, 30).until(lambda _: found())
            assert found() == "missing", found()
            warning = bare.find_element(By.CSS_SELECTOR, "[data-testid=font-warning]")
            assert warning.is_displayed()
            assert "Noto Sans CJK SC" in warning.text and "fonts-noto-cjk" in warning.text, warning.text
            bare.save_screenshot(str(OUT / "console-no-chinese-font.png"))
        finally:
            bare.quit()

    def phone_width():
        driver.get(base + f"#/incident/{state['incident']['id']}")
        until(lambda: css("tr.task"), "the incident view")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
        try:
            until(lambda: driver.execute_script("return window.innerWidth") == 390, "the phone-width viewport")
            width = driver.execute_script("return document.documentElement.scrollWidth")
            assert width <= 390, f"no sideways scrolling of the page at phone width (scrollWidth {width})"
            # The same order as on a desk, stacked: head, map, arrivals, then the tasks.
            tops = driver.execute_script(
                "return ['.incident-head', '.map-panel', '.arrivals-panel', '.tasks-panel'].map("
                "s => document.querySelector(s).getBoundingClientRect().top + window.scrollY)")
            assert tops == sorted(tops), f"head, map, arrivals, tasks from the top at phone width: {tops}"
            driver.save_screenshot(str(OUT / "console-phone.png"))
        finally:
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", desk)

    def no_script_errors():
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"
                  and "/v1/" not in e["message"] and "net::ERR_CONNECTION_REFUSED" not in e["message"]
                  and "WebSocket" not in e["message"]]
        assert not errors, errors

    try:
        if checks.run("sign in with a token: unit and roles shown, notification permission asked", sign_in_and_see_my_unit):
            if checks.run("an incident filed through the API appears live, alerted and notified", filed_incident_appears_with_its_alert):
                if checks.run("open it and acknowledge a task by clicking", open_incident_and_acknowledge_a_task):
                    checks.run("the server restarts: reconnecting…, resume, a new event arrives", restart_and_resume)
                checks.run("no buttons on another unit's tasks; the API refuses them with 403", other_units_tasks_offer_no_buttons)
                checks.run("a viewer gets no task buttons", viewer_gets_no_buttons)
                if checks.run("an exercise is marked on the list, the alert and the view", exercise_is_marked):
                    checks.run("a drill participant sees the playbook map", a_drill_participant_sees_the_map)
                checks.run("a neighbour's CAP alert is listed and opens as its thread", a_cap_alert_is_an_incident_like_any_other)
                checks.run("a level below the plan's grade is said on the incident view, in Chinese",
                           a_level_below_the_plans_grade_is_said)
                checks.run("a report with impacts filed through the form on a Chinese screen grades as the rules say",
                           a_report_with_impacts_filed_through_the_form_in_chinese)
                checks.run("Chinese and English screens with no untranslated string", no_untranslated_string)
                checks.run("phone width: no sideways scroll", phone_width)
                checks.run("a browser without a Chinese font draws it with the server's web font, else says what to install",
                           a_browser_without_a_chinese_font)
        checks.run("no script errors in the console", no_script_errors)
    finally:
        driver.quit()
        server.stop()
    print(f"screenshots: {OUT}/console.png, console-full.png, console-list.png, console-phone.png")
    if checks.failed:
        print(f"server log and data kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 0 if checks.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
