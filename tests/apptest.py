"""Running the real app under Streamlit's AppTest, against the database in $CITYTOOLS_DB."""

from __future__ import annotations

import ast
import html
import re

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def new_visit(query_params: dict | None = None) -> AppTest:
    """app.py for a new visitor with these URL params, not run yet: `switch_page` then opens
    the page first (`sign_in(new_visit())` opens the sign-in page, not the home page first)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in (query_params or {}).items():
        at.query_params[key] = value
    return at


def run_app(query_params: dict | None = None, page: str | None = None) -> AppTest:
    """Run app.py with URL params, on `page` (e.g. 'pages/market.py') if given: a visitor
    opening that page's address, as a shared link does, without the home page first."""
    at = new_visit(query_params)
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def record_download_names(monkeypatch) -> list[str]:
    """The file names of the download buttons the app draws from now on, in order (AppTest
    keeps a download's data but not its name)."""
    import streamlit as st
    from streamlit.elements.widgets.button import ButtonMixin

    names: list[str] = []
    button, main = ButtonMixin.download_button, st.download_button

    def recording(self, label, data, file_name=None, *args, **kwargs):
        names.append(str(file_name))
        return button(self, label, data, file_name, *args, **kwargs)

    def recording_main(label, data, file_name=None, *args, **kwargs):
        names.append(str(file_name))
        return main(label, data, file_name, *args, **kwargs)

    # (`st.download_button` is bound to the main area when streamlit is imported, so a page
    # calling it directly is not seen through ButtonMixin: both are recorded)
    monkeypatch.setattr(ButtonMixin, "download_button", recording)
    monkeypatch.setattr(st, "download_button", recording_main)
    return names


def metric(at: AppTest, label: str) -> str:
    """The shown value of the metric labelled `label`."""
    return next(m.value for m in at.metric if m.label == label)


def registered_pages() -> list[tuple[str, str, str]]:
    """(file, title, url path) of every page app.py always registers; the default page's path
    is ''. Steward pages (registered only after sign-in) are not among them."""
    text = (ROOT / "app.py").read_text(encoding="utf-8")
    pages = []
    for call in re.findall(r"st\.Page\((.*?)\)\s*,?\s*\n", text, flags=re.S):
        file = re.search(r'"(pages/\w+\.py)"', call).group(1)
        title = re.search(r'title="([^"]+)"', call).group(1)
        url = re.search(r'url_path="([^"]*)"', call)
        stem = file.removeprefix("pages/").removesuffix(".py")
        path = "" if "default=True" in call else (url.group(1) if url else stem)
        pages.append((file, title, path))
    return pages


def markdown_html(source: str) -> str:
    """What CommonMark makes of a widget's Markdown source (Streamlit renders the same syntax)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(source)


def shown(source: str) -> str:
    """The text a reader sees for a widget's Markdown source: escapes resolved, tags dropped,
    invisible word joiners removed."""
    text = re.sub(r"<[^>]+>", "", markdown_html(source))
    return html.unescape(text).replace("\u2060", "").strip()


# What Streamlit's Markdown would still turn into something other than text once CommonMark
# has resolved the escapes: GitHub's bare-address links, colour and other directives, emoji and
# icon short codes.
_ACTIVE_TEXT = re.compile(
    r"(?i)(https?://|www\.|mailto:\w|[\w.+-]+@[\w-]+\.[\w.-]+|:[a-z]+\[|:[\w/+-]+:)"
)


_TAGS = ("<a ", "<img", "<h1", "<h2", "<h3", "<ul", "<ol", "<code", "<em", "<strong", "<table",
         "<blockquote", "<hr")  # fmt: skip


def inert(source: str) -> list[str]:
    """Why this Markdown source would not show as plain text ([] when it would)."""
    rendered = markdown_html(source)
    found = [tag for tag in _TAGS if tag in rendered]
    text = html.unescape(re.sub(r"<[^>]+>", " ", rendered))
    found += [m.group(0) for m in _ACTIVE_TEXT.finditer(text)]
    return found


def bound_keys(source: str) -> set[str]:
    """The keys a page's widgets bind to the URL, with the Chart/Table tabs of each
    `ui.chart_and_table(..., key)` (bound as `<key>_view`)."""
    keys = set(re.findall(r'key="(\w+)",\s*bind="query-params"', source))
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "chart_and_table":
            keys.add(f"{node.args[-1].value}_view")
    return keys
