"""Browser end-to-end test: Debian's headless Chromium drives Jupyter Notebook's UI.

It starts a Jupyter server on 127.0.0.1 over a temporary copy of notebooks/00_tour.ipynb
(set to smoke scale, so the repository's file is never touched), opens it, runs all cells
through the Cell menu, checks that every cell ran without an error, that the backend line,
the claim and the plot (an inline SVG) appear, and saves a screenshot to
reports/e2e_00_tour.png.

Run with /usr/bin/python3 -m unittest kernel/jupytertest/test_browser.py (make test-e2e).
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOTEBOOK = "00_tour.ipynb"
RUN_TIMEOUT = 600  # seconds for all cells at smoke scale


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smoke_copy(src, dst):
    """Copies the notebook with its parameters cell set to smoke scale."""
    with open(src) as f:
        nb = json.load(f)
    found = False
    for cell in nb["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            src_text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            lines = [
                'var scale = "smoke"' if line.strip().startswith("var scale") else line
                for line in src_text.split("\n")
            ]
            cell["source"] = "\n".join(lines)
            found = True
    if not found:
        raise AssertionError(f"{src}: no cell tagged 'parameters'")
    with open(dst, "w") as f:
        json.dump(nb, f)


class BrowserTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="labnotes-e2e-")
        smoke_copy(os.path.join(ROOT, "notebooks", NOTEBOOK), os.path.join(self.tmp, NOTEBOOK))
        self.port = free_port()
        self.token = "labnotes-e2e"
        self.server_log = open(os.path.join(self.tmp, "server.log"), "w")
        self.server = subprocess.Popen(
            ["jupyter", "notebook", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
             f"--NotebookApp.token={self.token}", f"--notebook-dir={self.tmp}", "--allow-root"],
            stdout=self.server_log, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_for_server()
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
                     f"--user-data-dir={os.path.join(self.tmp, 'chrome')}"]:
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)

    def wait_for_server(self):
        deadline = time.time() + 60
        url = f"http://127.0.0.1:{self.port}/api/status?token={self.token}"
        while time.time() < deadline:
            if self.server.poll() is not None:
                raise AssertionError(f"jupyter notebook exited: {self.log()}")
            try:
                urllib.request.urlopen(url, timeout=2)
                return
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"jupyter notebook did not answer in 60 s: {self.log()}")

    def log(self):
        self.server_log.flush()
        with open(self.server_log.name) as f:
            return f.read()[-3000:]

    def tearDown(self):
        try:
            self.driver.quit()
        finally:
            try:
                os.killpg(self.server.pid, 15)
                self.server.wait(timeout=20)
            except Exception:
                os.killpg(self.server.pid, 9)
            self.server_log.close()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def js(self, script):
        return self.driver.execute_script(script)

    def test_tour_runs_in_the_ui(self):
        d = self.driver
        d.get(f"http://127.0.0.1:{self.port}/notebooks/{NOTEBOOK}?token={self.token}")
        # Wait for the notebook UI and an idle "Go (Labnotes)" kernel.
        deadline = time.time() + 120
        while time.time() < deadline:
            ready = self.js("return !!(window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel"
                            " && Jupyter.notebook.kernel.is_connected())")
            if ready:
                break
            time.sleep(0.5)
        else:
            self.fail(f"kernel did not connect in 120 s; server log:\n{self.log()}")
        self.assertEqual(self.js("return Jupyter.notebook.kernel.name"), "labnotes")

        # Run all cells through the menu, as a person would.
        d.find_element(By.ID, "celllink").click()
        d.find_element(By.CSS_SELECTOR, "#run_all_cells > a").click()

        n_code = self.js("return Jupyter.notebook.get_cells().filter(c => c.cell_type == 'code').length")
        deadline = time.time() + RUN_TIMEOUT
        while time.time() < deadline:
            done = self.js("""
                const cells = Jupyter.notebook.get_cells().filter(c => c.cell_type == 'code'
                    && c.get_text().trim() != '');
                return cells.every(c => c.input_prompt_number !== '*' && c.input_prompt_number != null)
                    && Jupyter.notebook.kernel_busy === false;""")
            if done:
                break
            time.sleep(1)
        else:
            self.screenshot("e2e_00_tour_timeout.png")
            self.fail(f"cells did not finish in {RUN_TIMEOUT} s")

        errors = d.find_elements(By.CSS_SELECTOR, ".output_error")
        self.screenshot("e2e_00_tour.png")
        self.assertEqual([e.text[:500] for e in errors], [], "cells reported errors")
        page = d.find_element(By.ID, "notebook-container").text
        self.assertIn("backend: ", page)
        self.assertIn("claim", page)
        svgs = d.find_elements(By.CSS_SELECTOR, ".output_area svg, .output_area img")
        self.assertTrue(svgs, "no plot (svg or img) in the outputs")
        self.assertGreater(n_code, 3)

    def screenshot(self, name):
        out = os.path.join(ROOT, "reports")
        os.makedirs(out, exist_ok=True)
        # Full page: grow the window to the notebook's height first.
        h = self.js("return document.getElementById('notebook').scrollHeight") or 1000
        self.driver.set_window_size(1400, min(int(h) + 200, 12000))
        self.driver.save_screenshot(os.path.join(out, name))


if __name__ == "__main__":
    unittest.main()
