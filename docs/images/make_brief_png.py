"""Draws docs/images/brief-in-slack.png: a real brief on the sample pack, as the Slack message it becomes.

The brief is written by the grounded writer and laid out by the same code the Slack app posts with
(`outbound.layouts.brief_message.render_brief`); its Block Kit is drawn as HTML in Slack's light
theme and photographed by a headless Chromium.

usage (from the repository root, after `make demo` has ingested the sample pack):
    .venv/bin/python docs/images/make_brief_png.py [--html-only]
needs: a Chromium on PATH (Debian: `apt-get install chromium`) unless --html-only.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from advocate.cli.mrkdwn import TOKEN, link_text
from advocate.services import Services
from advocate.settings import Settings
from outbound.layouts.brief_message import render_brief
from outbound.layouts.brief_view import BriefView

HERE = Path(__file__).resolve().parent
QUESTION = "We plan to replace callbacks with a chatbot to cut contact-centre costs. How does this affect customers?"
STYLE = """
body { font: 15px/1.46668 -apple-system, 'Segoe UI', Lato, 'Helvetica Neue', Arial, sans-serif;
       color: #1d1c1d; background: #fff; margin: 0; padding: 20px 24px; width: 760px; }
.asker, .bot { display: flex; gap: 8px; margin-bottom: 14px; }
.avatar { width: 36px; height: 36px; border-radius: 6px; flex: none; color: #fff; font-weight: 700;
          display: flex; align-items: center; justify-content: center; }
.name { font-weight: 900; }
.app { background: #e8e8e8; color: #616061; font-size: 10px; font-weight: 700; padding: 1px 3px;
       border-radius: 2px; margin-left: 4px; }
.time { color: #616061; font-size: 12px; margin-left: 6px; }
h1 { font-size: 18px; margin: 4px 0; } .context { color: #616061; font-size: 13px; margin: 4px 0 8px; }
.section { margin: 6px 0; white-space: pre-wrap; } a { color: #1264a3; text-decoration: none; }
code { color: #e01e5a; background: #f8f8f8; border: 1px solid #e8e8e8; border-radius: 3px; padding: 0 3px;
       font-size: 12px; }
.buttons { display: flex; gap: 8px; margin-top: 10px; flex-wrap: wrap; }
.button { border: 1px solid #bbb; border-radius: 4px; padding: 4px 12px; font-weight: 700; font-size: 13px; }
.primary { background: #007a5a; color: #fff; border-color: #007a5a; }
.thread { border-left: 3px solid #ddd; padding-left: 12px; }
"""


def mrkdwn_html(text: str) -> str:
    """Slack mrkdwn as Slack shows it: bold, italics, strike-through, code and links."""
    out: list[str] = []
    at = 0
    for match in TOKEN.finditer(text):
        out.append(html.escape(html.unescape(text[at : match.start()])))
        kind = match.lastgroup
        inner = match.group(kind)
        if kind == "angle":
            shown, url = link_text(inner)
            out.append(f'<a href="{html.escape(url)}">{html.escape(shown)}</a>' if url else html.escape(shown))
        else:
            tag = {"bold": "b", "italic": "i", "strike": "s", "code": "code"}[kind]
            out.append(f"<{tag}>{html.escape(html.unescape(inner))}</{tag}>")
        at = match.end()
    out.append(html.escape(html.unescape(text[at:])))
    return "".join(out)


def block_html(block: dict[str, Any]) -> str:
    kind = block["type"]
    if kind == "header":
        return f"<h1>{html.escape(block['text']['text'])}</h1>"
    if kind == "context":
        parts = [mrkdwn_html(e.get("text", "")) for e in block["elements"]]
        return f'<div class="context">{" · ".join(parts)}</div>'
    if kind == "section":
        return f'<div class="section">{mrkdwn_html(block["text"]["text"])}</div>'
    if kind == "actions":
        buttons = [
            f'<span class="button{" primary" if e.get("style") == "primary" else ""}">'
            f'{html.escape(e["text"]["text"])}</span>'
            for e in block["elements"]
        ]
        return f'<div class="buttons">{"".join(buttons)}</div>'
    return ""


def page(question: str, blocks: list[dict[str, Any]]) -> str:
    body = "".join(block_html(b) for b in blocks)
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>{STYLE}</style></head><body>
<div class="asker"><div class="avatar" style="background:#4a154b">HS</div><div>
<span class="name">Hannah Stone</span><span class="time">10:41</span>
<div><a>@Advocate</a> {html.escape(question)}</div></div></div>
<div class="thread"><div class="bot"><div class="avatar" style="background:#2eb67d">A</div><div>
<span class="name">Advocate</span><span class="app">APP</span><span class="time">10:41</span>
{body}</div></div></div></body></html>"""


def main(argv: list[str]) -> int:
    services = Services(settings=Settings())
    try:
        if services.store.count() == 0:
            print("The knowledge base is empty: run `make demo` first (it ingests the sample pack).")
            return 2
        brief = services.advisor.brief(QUESTION)
    finally:
        services.close()
    rendered = render_brief(BriefView.from_brief(brief), masked=True, promise_button=True)
    target = HERE / "brief-in-slack.html"
    target.write_text(page(QUESTION, rendered.blocks), encoding="utf-8")
    if "--html-only" in argv:
        print(f"wrote {target}")
        return 0
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        print("No Chromium on PATH: install one (Debian: apt-get install chromium) or pass --html-only.")
        return 2
    png = HERE / "brief-in-slack.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={profile}", f"--screenshot={png}", "--window-size=810,900", target.as_uri()],
            check=True, capture_output=True,
        )
    target.unlink()
    print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
