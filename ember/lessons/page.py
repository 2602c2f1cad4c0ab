"""A lesson's page: headings, paragraphs, tables, figures and the code behind them, for HTML or the terminal."""
import base64
import html
import inspect
import os
import sys
import textwrap


class Page:
    """What a lesson shows. Figures are written as PNG files into out_dir/figures/ as they are added."""

    def __init__(self, lesson_id, title, out_dir, progress=False):
        self.id, self.title, self.out_dir, self.show_progress = lesson_id, title, out_dir, progress
        self.blocks = []  # (kind, payload)
        self.figures = []  # paths of the written figures

    def progress(self, total, description):
        """A progress bar on stderr (call .update() on it) when the lesson runs alone in a terminal; else silent."""
        from tqdm import tqdm
        return tqdm(total=total, desc=description, unit="epoch", file=sys.stderr, disable=not self.show_progress)

    def heading(self, text):
        self.blocks.append(("heading", text))

    def text(self, *paragraphs):
        for p in paragraphs:
            self.blocks.append(("text", textwrap.dedent(p).strip()))

    def table(self, headers, rows, caption=""):
        self.blocks.append(("table", (list(headers), [list(r) for r in rows], caption)))

    def code(self, *functions):
        """Show the ember code that computed what follows (the function's own source)."""
        for fn in functions:
            self.blocks.append(("code", textwrap.dedent(inspect.getsource(fn)).strip()))

    def figure(self, fig, name, caption=""):
        import matplotlib.pyplot as plt
        folder = os.path.join(self.out_dir, "figures")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{self.id}-{name}.png")
        fig.tight_layout()  # (cheaper than bbox_inches="tight", which draws the whole figure twice)
        fig.savefig(path, dpi=100)
        plt.close(fig)
        self.figures.append(path)
        self.blocks.append(("figure", (os.path.relpath(path, self.out_dir), caption)))
        return path

    def add_image(self, path, caption=""):
        """A picture written by something else (e.g. ember.viz.draw_graph) into out_dir/figures/."""
        self.figures.append(path)
        self.blocks.append(("figure", (os.path.relpath(path, self.out_dir), caption)))

    def figure_path(self, name):
        folder = os.path.join(self.out_dir, "figures")
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, f"{self.id}-{name}.png")

    # ---- rendering ---------------------------------------------------------------------------
    def to_text(self):
        out = [self.title, "=" * len(self.title)]
        for kind, payload in self.blocks:
            if kind == "heading":
                out += ["", payload, "-" * len(payload)]
            elif kind == "text":
                out += ["", textwrap.fill(payload, 100)]
            elif kind == "table":
                headers, rows, caption = payload
                out += ["", _text_table(headers, rows)] + ([caption] if caption else [])
            elif kind == "code":
                out += [""] + ["    " + line for line in payload.splitlines()]
            elif kind == "figure":
                out += ["", f"[figure: {os.path.join(self.out_dir, payload[0])}] {payload[1]}"]
        return "\n".join(out)

    def to_html(self):
        parts = [f'<section id="{self.id}"><h2>{html.escape(self.title)}</h2>']
        for kind, payload in self.blocks:
            if kind == "heading":
                parts.append(f"<h3>{html.escape(payload)}</h3>")
            elif kind == "text":
                parts.append(f"<p>{html.escape(payload)}</p>")
            elif kind == "table":
                headers, rows, caption = payload
                head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
                body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(c))}</td>" for c in r) + "</tr>" for r in rows)
                cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
                parts.append(f"<table>{cap}<tr>{head}</tr>{body}</table>")
            elif kind == "code":
                parts.append(f"<pre><code>{html.escape(payload)}</code></pre>")
            elif kind == "figure":
                src, caption = payload
                parts.append(f'<figure><img src="{html.escape(src)}" alt="{html.escape(caption or self.id)}">'
                             f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        parts.append("</section>")
        return "\n".join(parts)


def _cell(c):
    return f"{c:.6g}" if isinstance(c, float) else str(c)


def _text_table(headers, rows):
    cells = [[str(h) for h in headers]] + [[_cell(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    line = lambda row: "  ".join(c.rjust(w) for c, w in zip(row, widths))  # noqa: E731
    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]])


STYLE = """
body { font-family: "Ember Tour CJK", system-ui, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em;
       line-height: 1.5; color: #222; }
code { font-family: "Ember Tour CJK", monospace; }
h1 { border-bottom: 3px solid #c77d1a; } h2 { margin-top: 2.5em; border-bottom: 1px solid #ccc; }
nav ol { columns: 2; } pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; } caption { caption-side: bottom; color: #555; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; } th { background: #f0f0f0; }
figure { margin: 1em 0; } figure img { max-width: 100%; } figcaption { color: #555; font-size: 0.9em; }
"""


FONTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fonts")


def embedded_fonts():
    """@font-face rules carrying the Chinese glyphs the lessons use (subsets of Noto Sans CJK SC, SIL OFL 1.1:
    see fonts/OFL.txt), so the page shows its Chinese on a machine without any CJK font. The unicode-range
    keeps every other character in the reader's own font."""
    rules = []
    for weight, style in (("normal", "Regular"), ("bold", "Bold")):
        with open(os.path.join(FONTS, f"EmberTourCJK-{style}.woff"), "rb") as f:
            data = base64.b64encode(f.read()).decode("ascii")
        rules.append(f'@font-face {{ font-family: "Ember Tour CJK"; font-weight: {weight}; '
                     f'unicode-range: U+2E80-FFFF; src: url(data:font/woff;base64,{data}) format("woff"); }}')
    return "\n".join(rules)


def write_report(pages, out_dir, title="ember tour: the course notes, computed"):
    """index.html: every lesson on one page, figures beside it in figures/; opens with no network."""
    nav = "".join(f'<li><a href="#{p.id}">{html.escape(p.title)}</a></li>' for p in pages)
    body = "\n".join(p.to_html() for p in pages)
    document = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
                f"<style>{embedded_fonts()}\n{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
                f"<p>Every number and figure on this page was computed by ember as the tour ran.</p>"
                f"<nav><ol>{nav}</ol></nav>\n{body}\n</body></html>\n")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "index.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(document)
    return path
