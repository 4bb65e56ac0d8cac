"""The web console in a real headless browser (Debian's chromium, driven
by chromedriver through python3-selenium), against a real fleet: log in
with the admin token, see an order a buyer app places arrive on the orders
page without a reload (server-sent events), open it, accept it and take it
to delivered by clicking the buttons the state table offers, edit a stock
figure, import a bad catalog and see the field named, log out. A
screenshot of the orders page and of the order's page are kept in a
temporary folder whose path is printed.

Bad inputs tried here: a wrong token at the login; a button the state
table does not allow (packed before acceptance) must not be offered; a
catalog file with an amount as a JSON number; the API with the session's
cookie but no CSRF token (refused), and after logout (refused).
"""
import json
import os
import sys
import tempfile
import time

from harness import Fleet, Runner, check, eq, load_fixture
from seller_flow import admin_raw, place_order

try:
    try:
        import selenium  # noqa: F401
    except ImportError:
        # Debian's python3-selenium, when python3 here is another build
        sys.path.append("/usr/lib/python3/dist-packages")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.common.exceptions import (ElementNotInteractableException,
                                            StaleElementReferenceException)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # scripts/install-deps.sh installs python3-selenium
    webdriver = None

F = None
B = None
SHOTS = tempfile.mkdtemp(prefix="ondc-console-shots-")


def wait(cond, timeout=10):
    # the page re-renders on live updates: an element read while that
    # happens is looked for again
    return WebDriverWait(B, timeout, poll_frequency=0.1,
                         ignored_exceptions=[StaleElementReferenceException]).until(cond)


def css(sel, timeout=10):
    return wait(EC.presence_of_element_located((By.CSS_SELECTOR, sel)), timeout)


def click(sel, timeout=10):
    """Click SEL once it is there; the page re-renders on live updates, so
    an element found just before may be replaced: found again then."""
    end = time.time() + timeout
    while True:
        try:
            e = wait(EC.element_to_be_clickable((By.CSS_SELECTOR, sel)), max(0.1, end - time.time()))
            e.click()
            return e
        except StaleElementReferenceException:
            if time.time() > end:
                raise


def test_the_seller_takes_an_order_to_delivered_by_clicking():
    base = "http://127.0.0.1:%d/" % F.admin_port
    B.get(base)
    check(B.current_url.endswith("/console/"), "/ leads to the console: %s" % B.current_url)
    css("#token").send_keys("not-the-token-0123456789")
    click("#login-btn")
    wait(lambda b: "wrong" in b.find_element(By.ID, "login-error").text)
    tok = B.find_element(By.ID, "token")
    tok.clear()
    tok.send_keys(F.admin_token)
    click("#login-btn")
    css("#orders")
    check("token" not in B.current_url and F.admin_token not in B.current_url, "no token in the URL")
    wait(lambda b: "on" in b.find_element(By.ID, "live").get_attribute("class"))

    # a buyer app places an order: it appears without a reload
    req, oid = place_order(F, (("42602105", 2),))
    sel = '#orders tr[data-id="%s"]' % oid
    css(sel, timeout=10)
    wait(lambda b: "new" in b.find_element(By.CSS_SELECTOR, sel).get_attribute("class"))
    wait(lambda b: "Created" in b.find_element(By.CSS_SELECTOR, sel).text)
    wait(lambda b: b.find_element(By.CSS_SELECTOR, sel + " .countdown").text)
    B.save_screenshot(os.path.join(SHOTS, "orders.png"))

    click(sel)
    css('#actions button[data-action="accept"]')
    eq(B.find_elements(By.CSS_SELECTOR, '#actions button[data-action="packed"]'), [],
       "packed is not offered before acceptance")
    check(css("#countdown").text, "countdown on the order's page")
    check("butter" in css("#quote").text.lower() or "42602105" in css("#quote").text, "the quote's rows")
    check(css("#total").text, "the total")
    B.save_screenshot(os.path.join(SHOTS, "order.png"))

    steps = ["accept", "packed", "agent-assigned", "picked-up", "out-for-delivery", "delivered"]
    for v in steps:
        if v == "agent-assigned":
            css("#agent-name")
            for _ in range(50):
                try:
                    wait(EC.visibility_of_element_located((By.ID, "agent-name"))).send_keys("Ravi")
                    wait(EC.visibility_of_element_located((By.ID, "agent-phone"))).send_keys("9886012345")
                    break
                except (StaleElementReferenceException, ElementNotInteractableException):
                    time.sleep(0.1)
        click('#actions button[data-action="%s"]' % v)
        nxt = steps[steps.index(v) + 1] if v != "delivered" else None
        if nxt:
            css('#actions button[data-action="%s"]' % nxt)
    wait(lambda b: "Completed" in b.find_element(By.ID, "order-title").text)
    s, a = F.admin("GET", "/seller/v1/orders/" + oid)
    eq((a["order"]["state"], a["actions"]), ("Completed", []), "delivered: nothing more to do")
    tid = req["context"]["transaction_id"]
    got = F.bap.wait_for(lambda c: json.loads(c["raw"])["context"]["transaction_id"] == tid and
                         json.loads(c["raw"])["context"]["action"] == "on_status", count=6, timeout=10)
    eq(len(got), 6, "the buyer app heard each step")

    # stock edited on the catalog page
    B.get(base + "console/#/catalog")
    stock = css('#items tr[data-item="42602101"] input.stock')
    stock.clear()
    stock.send_keys("77")
    click('#items tr[data-item="42602101"] button.save')
    wait(lambda b: b.find_element(By.CSS_SELECTOR, '#items tr[data-item="42602101"] .msg').text == "saved")
    eq(F.admin("GET", "/seller/v1/items/42602101")[1]["stock"], 77, "the stock is 77")

    # a bad catalog: the field is named
    bad = load_fixture("catalog-demo.json")
    bad["bpp/providers"][0]["seller"]["charges"]["delivery"] = 23
    path = os.path.join(F.dir, "bad-catalog.json")
    with open(path, "w") as f:
        json.dump(bad, f)
    B.find_element(By.ID, "import-file").send_keys(path)
    click("#import-btn")
    field = css("#import-field")
    eq(field.text, "bpp/providers[0].seller.charges.delivery", "the field named")

    # the cookie alone does not change anything (CSRF), and logout ends it
    cookie = "ondc_session=" + B.get_cookie("ondc_session")["value"]
    s, _, _ = admin_raw(F, "PATCH", "/seller/v1/items/42602101", {"stock": 1}, headers={"Cookie": cookie}, token=False)
    eq(s, 401, "no CSRF token: refused")
    click("#logout")
    css("#login-form")
    s, _, _ = admin_raw(F, "GET", "/seller/v1/orders", headers={"Cookie": cookie}, token=False)
    eq(s, 401, "the session is over")
    B.get(base + "console/#/orders")
    css("#login-form")
    print("  screenshots: %s" % SHOTS, flush=True)


def test_pages_render_returns_timings_complaints_health():
    B.get("http://127.0.0.1:%d/console/" % F.admin_port)
    css("#token").send_keys(F.admin_token)
    click("#login-btn")
    css("#orders")
    for nav, sel in (("#nav-returns", "#orders"), ("#nav-timings", "input.days"),
                     ("#nav-complaints", "#issues"), ("#nav-health", "#ready")):
        click(nav)
        css(sel)
    wait(lambda b: b.find_element(By.ID, "backlog").text.isdigit())
    click("#logout")
    css("#login-form")


if __name__ == "__main__":
    if webdriver is None or not os.path.exists("/usr/bin/chromedriver"):
        print("test_console: chromium, chromium-driver or python3-selenium missing "
              "(bash scripts/install-deps.sh)")
        sys.exit(1)
    F = Fleet()
    F.start()
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1280,900", "--autoplay-policy=no-user-gesture-required"):
        opts.add_argument(a)
    opts.binary_location = "/usr/bin/chromium"
    B = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        rc = Runner().run(globals())
    finally:
        B.quit()
        F.close()
    sys.exit(rc)
