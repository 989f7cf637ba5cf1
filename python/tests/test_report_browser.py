"""The trail report in a real browser (headless Chromium, installed by `make test` where it can
be): it loads offline with no console error and no network request, its DOM holds the trail,
the zones and the tables, an A4-wide screenshot shows the trail and the zones drawn, and the
printed PDF holds the tables."""

import io
import pathlib
import shutil
import subprocess

import pandas as pd
import pytest

import trailfence as tf

DATA = pathlib.Path(__file__).resolve().parents[2] / "data"
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no chromium on this machine (`make test` installs Debian's chromium where it can)"
)
# Unreachable proxy: any request for a resource fails (and is logged), so a page that loads
# cleanly needed nothing from the network.
OFFLINE = ["--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]
A4_WIDTH_PX = 794  # 210 mm at 96 dpi


def chromium(*args, cwd):
    cmd = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
           "--hide-scrollbars", f"--user-data-dir={cwd}/profile", "--enable-logging=stderr", "--v=0", *OFFLINE, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report-browser")
    df = pd.read_csv(DATA / "fixes.csv")
    df = df[(df["subject"] == "S0003") & (df["time"] >= "2024-10-26") & (df["time"] < "2024-10-28")]
    zones = tf.Zones.from_geojson(DATA / "zones.geojson")
    r = tf.TrailStore.from_frame(df).report("S0003", "2024-10-26T12:00:00Z", "2024-10-27T12:00:00Z", zones=zones)
    path = tmp / "report.html"
    r.save(path)
    return tmp, path, r


def console_problems(stderr):
    bad = ("CONSOLE", "Uncaught", "Failed to load resource", "ERR_PROXY", "net::ERR")
    return [line for line in stderr.splitlines() if any(b in line for b in bad)]


def test_loads_offline_with_the_trail_zones_and_tables_in_the_dom(page):
    tmp, path, report = page
    # The console check can fail: a page logging an error is caught.
    bad = tmp / "bad.html"
    bad.write_text('<html><body><script>console.error("boom")</script></body></html>')
    assert console_problems(chromium("--dump-dom", bad.as_uri(), cwd=tmp).stderr)
    out = chromium("--dump-dom", path.as_uri(), cwd=tmp)
    assert out.returncode == 0, out.stderr[-2000:]
    assert console_problems(out.stderr) == []
    dom = out.stdout
    assert dom.count('class="trail-part"') >= 1
    assert 'class="zone inclusion"' in dom and 'data-zone="home-S0003"' in dom
    assert 'id="curfew-timeline"' in dom and 'id="day-timeline"' in dom
    for h in ("Breach episodes", "Curfew compliance", "Places and stops", "Data quality", "The query"):
        assert f">{h}</h2>" in dom
    assert dom.count("<th ") > 20


def colour_share(img, rgb, tol=8):
    import numpy as np

    px = np.frombuffer(img.tobytes(), dtype=np.uint8).reshape(-1, 3).astype(np.int16)
    return int((np.abs(px - np.array(rgb, dtype=np.int16)) <= tol).all(axis=1).sum())


def test_a4_screenshot_shows_the_trail_and_the_zones(page):
    Image = pytest.importorskip("PIL.Image")
    tmp, path, _ = page
    shot = tmp / "a4.png"
    out = chromium(f"--window-size={A4_WIDTH_PX},1600", f"--screenshot={shot}", path.as_uri(), cwd=tmp)
    assert out.returncode == 0 and shot.exists(), out.stderr[-2000:]
    img = Image.open(shot).convert("RGB")
    assert img.size[0] == A4_WIDTH_PX
    trail = colour_share(img, (0x21, 0x66, 0xac))  # the trail's stroke
    inclusion = colour_share(img, (224, 235, 225), tol=6)  # the home zone's fill (12 % green on the map)
    background = colour_share(img, (0xfb, 0xfb, 0xf8), tol=1)
    assert trail > 100, f"trail pixels: {trail}"
    assert inclusion > 20, f"inclusion-zone pixels: {inclusion}"
    assert background > 50_000, "the map is drawn"


def test_printed_pdf_has_the_tables(page):
    pypdf = pytest.importorskip("pypdf")
    tmp, path, report = page
    pdf = tmp / "report.pdf"
    out = chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", path.as_uri(), cwd=tmp)
    assert out.returncode == 0 and pdf.exists(), out.stderr[-2000:]
    reader = pypdf.PdfReader(io.BytesIO(pdf.read_bytes()))
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2, "A4"
    text = "\n".join(p.extract_text() for p in reader.pages)
    for h in ("Breach episodes", "Curfew compliance", "Data quality", "The query", "Verdict", "Probability"):
        assert h in text, h
    assert "S0003" in text and "Europe/London" in text
