"""The page of `phraser serve` in headless Chromium (Debian's, driven by Playwright).

Set PHRASER_SCREENSHOT=docs/serve.png to refresh the README's screenshot.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import SMALL_DOCS, write_corpus
from test_serve import Server

from phraser.build import build

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: The network here is closed: without these Chromium waits on connections it never gets.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Markup in the corpus, which the page must show as text.
MARKUP = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
DOCS = dict(
    SMALL_DOCS,
    **{
        "05_标记.txt": f"""关于防范风险的通知
各单位要防微杜渐{MARKUP}，警钟长鸣，狠抓落实。
全体干部要防微杜渐，警钟长鸣，真抓实干。
各部门要防微杜渐，警钟长鸣，切实把安全放在首位。
"""
    },
)


@pytest.fixture(scope="module")
def page_url(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium package)")
    folder = tmp_path_factory.mktemp("browser-bank")
    build([write_corpus(folder / "corpus", DOCS)], folder / "bank.sqlite")
    server = Server("--db", str(folder / "bank.sqlite"))
    yield server.url
    code, stderr = server.stop()
    assert code == 0, stderr


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium package)")
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1200, "height": 680},
        )
        yield context
        context.close()


@pytest.fixture
def page(browser, page_url):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(page_url)
    yield page
    page.close()
    assert errors == []


def type_into_draft(page, text: str) -> None:
    page.locator("#draft").click()
    page.keyboard.type(text)


def click_on(page, locator) -> None:
    """Click the middle of an element; for an underline, the click lands in the text area
    above it, as a user's would."""
    box = locator.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_a_typo_is_underlined_and_fixed_by_a_click(page, tmp_path):
    type_into_draft(
        page, "各级各部门要高度重视安全生产，狠抓落失。要以科学发展观作为指导，齐抓共关。"
    )
    typos = page.locator("#backdrop mark.typo")
    typos.nth(1).wait_for()
    assert [typos.nth(i).text_content() for i in range(typos.count())] == ["狠抓落失", "齐抓共关"]
    assert page.locator("#backdrop mark.hint").first.text_content() == "以科学发展观作为指导"
    underline = typos.first.evaluate("m => getComputedStyle(m).textDecorationLine")
    assert underline == "underline"

    click_on(page, typos.first)
    fix = page.locator("#fix-apply")
    fix.wait_for()
    assert fix.text_content() == "狠抓落实"
    fix.click()
    page.locator("#fix").wait_for(state="hidden")
    assert page.locator("#draft").input_value() == (
        "各级各部门要高度重视安全生产，狠抓落实。要以科学发展观作为指导，齐抓共关。"
    )

    click_on(page, page.locator("#backdrop mark.typo").filter(has_text="齐抓共关"))
    fix.filter(has_text="齐抓共管").wait_for()
    assert "关→管" in page.locator("#fix-why").text_content()
    page.locator("#suggestions li").filter(has_text="齐抓共管").first.hover()
    page.locator("#examples mark").first.wait_for()
    shot = tmp_path / "serve.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("PHRASER_SCREENSHOT"):
        shutil.copyfile(shot, Path(os.environ["PHRASER_SCREENSHOT"]))

    fix.click()
    page.wait_for_function("!document.getElementById('draft').value.includes('齐抓共关')")
    assert page.locator("#draft").input_value() == (
        "各级各部门要高度重视安全生产，狠抓落实。要以科学发展观作为指导，齐抓共管。"
    )
    page.wait_for_function("document.querySelectorAll('#backdrop mark.typo').length === 0")


def test_suggestions_follow_the_sentence_under_the_cursor(page):
    type_into_draft(page, "以科学发展观作为指导。狠抓落失")
    suggestions = page.locator("#suggestions li")
    suggestions.filter(has_text="狠抓落实").first.wait_for()
    assert "狠抓落失" in page.locator("#sentence").text_content()
    page.keyboard.press("Home")  # the caret into the first sentence
    page.locator("#sentence").filter(has_text="以科学发展观作为指导").wait_for()
    template = suggestions.filter(has_text="以……为指导").first
    assert "fits 以……为指导" in template.text_content()
    template.locator("button").click()
    page.wait_for_function(
        "document.getElementById('draft').value.startsWith('以科学发展观为指导。')"
    )
    assert page.locator("#draft").input_value() == "以科学发展观为指导。狠抓落失"


def test_corpus_and_user_markup_are_shown_as_text(page):
    user = "<script>window.pwned=3</script><img src=x onerror=window.pwned=4>警钟长鸣"
    type_into_draft(page, user)
    page.locator("#sentence").filter(has_text="<script>").wait_for()
    page.fill("#pattern", "警钟*")
    row = page.locator("#results li").filter(has_text="警钟长鸣").first
    row.wait_for()
    row.hover()
    tip = page.locator("#examples")
    tip.filter(has_text="window.pwned=1").wait_for()
    assert MARKUP in tip.text_content()
    assert page.locator("#draft").input_value() == user
    assert page.evaluate("window.pwned") is None
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 1  # app.js
