#!/usr/bin/env python3
"""Real pages rendered to text: how well newsfold's extraction cuts them, in-process.

    python benchmarks/realpages.py                      # ../shared/realpages, every renderer
    python benchmarks/realpages.py OUT --halves --json results/realpages.json
    python benchmarks/realpages.py --min-f1 0.90 --min-first 0.85 --min-scroll-recall 0.90

OUT is a folder written by `../shared/eval/realtext.py render` (pages/<renderer>/*.txt,
scroll/<renderer>/*.txt, ground-truth.json, headlines.json, evaluate.py). Every page and scroll is
extracted by `newsfold.extract.segment_text` and `extract` (the HTML pages) in this process and
scored with realtext.py's own scoring (the benchmark's shingle matching): per renderer the
best-match and first-article body F1 of single pages, articles per page, the share of right
headlines, and scroll page recall and articles per true page; then the HTML pages against
trafilatura alone. `--halves` scores the two halves of the pages (sha1 of the page id, even/odd)
apart, as the model's cross-validation in `train_extract.py` splits them; a half's scrolls are
made of its own pages, joined as realtext.py joins them (its seeded runs of 2-4 pages). Exit 1 when a floor given
by the --min options is not met.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SHARED = REPO.parent / "shared"
RENDERERS = ["w3m", "lynx", "inscriptis", "chromium"]


def realtext():
    """../shared/eval/realtext.py as a module: the scoring the figures that count use."""
    spec = importlib.util.spec_from_file_location("realtext", SHARED / "eval" / "realtext.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def half(page_id: str) -> int:
    return int(hashlib.sha1(page_id.encode()).hexdigest(), 16) % 2


class Dataset:
    """A realtext OUT folder: truth, headline strings, the renders and the scrolls."""

    def __init__(self, out: Path, renderers: list[str] | None = None) -> None:
        self.out = Path(out)
        self.truth = json.loads((self.out / "ground-truth.json").read_text(encoding="utf-8"))
        heads = self.out / "headlines.json"
        self.heads = json.loads(heads.read_text(encoding="utf-8")) if heads.exists() else {}
        man = json.loads((self.out / "manifest.json").read_text(encoding="utf-8"))
        self.renderers = renderers or [r for r in RENDERERS if r in man["renderers"]]
        self.scroll_truth = [json.loads(x) for x in (self.out / "scroll" / "truth.jsonl").read_text().splitlines()
                             if x.strip()]

    def page(self, renderer: str, page_id: str) -> str:
        return (self.out / "pages" / renderer / f"{page_id}.txt").read_text(encoding="utf-8")

    def scroll(self, renderer: str, scroll: dict, stored: bool = True) -> str:
        """A scroll's text: the stored file, or its pages joined the way realtext.py joins them."""
        if stored:
            return (self.out / "scroll" / renderer / scroll["file"]).read_text(encoding="utf-8")
        return "\n\n".join(self.page(renderer, pid).rstrip() for pid in scroll["pages"]) + "\n"


def _rows(articles) -> list[dict]:
    return [{"position": a.position, "title": a.title, "text": a.text} for a in articles]


def extract_text(text: str, name: str, segment) -> list[dict]:
    return _rows(segment(text, name))


def run(data: Dataset, segment=None, pages: set[str] | None = None, html: bool = True) -> dict:
    """Extract and score everything; `segment(text, name)` cuts a text capture (default: newsfold's
    segment_text); `pages`: score only these page ids (and the scrolls made only of them)."""
    from newsfold.extract import segment_text

    segment = segment or (lambda text, name: segment_text(text, name))
    rt = realtext()
    sc = rt.Scorer(rt.load_evaluate(data.out))
    truth = {k: v for k, v in data.truth.items() if pages is None or k in pages}
    scrolls = data.scroll_truth if pages is None else [
        {"file": f"scroll_{i:03d}.txt", "pages": g} for i, g in enumerate(rt.scroll_groups(sorted(pages), 1))]
    res: dict = {"renderers": {}}
    for r in data.renderers:
        t0 = time.time()
        by = {pid: extract_text(data.page(r, pid), pid, segment) for pid in truth}
        single, per = rt.score_pages(sc, truth, by, data.heads)
        bys = {t["file"].rsplit(".", 1)[0]: extract_text(data.scroll(r, t, pages is None), t["file"], segment)
               for t in scrolls}
        scroll, _ = rt.score_scrolls(sc, data.truth, scrolls, bys) if scrolls else ({}, {})
        res["renderers"][r] = {"single": single, "scroll": scroll, "per_page": per,
                               "seconds": round(time.time() - t0, 1)}
    if html and (data.out / "html").exists():
        from newsfold.extract import extract
        from newsfold.model import Capture

        by = {}
        for pid in truth:
            markup = (data.out / "html" / f"{pid}.html").read_text(encoding="utf-8")
            by[pid] = _rows(extract(Capture(name=pid, content=markup, kind="html")))
        res["html"], res["html_per_page"] = rt.score_pages(sc, truth, by, data.heads)
        tp = rt.trafilatura_preds(data.out)
        by = {pid: [{"position": 0, "text": tp.get(pid, "")}] if tp.get(pid) else [] for pid in truth}
        res["trafilatura"], _ = rt.score_pages(sc, truth, by)
    return res


def figures(res: dict) -> dict:
    """The issue's figures: means over renderers, and each renderer's."""
    rs = res["renderers"]
    f = {
        "body_f1": {r: v["single"]["best"]["f1"] for r, v in rs.items()},
        "first_f1": {r: v["single"]["first"]["f1"] for r, v in rs.items()},
        "articles_per_page": {r: v["single"]["articles"] / v["single"]["pages"] for r, v in rs.items()},
        "title_ok": {r: v["single"]["title_ok"] for r, v in rs.items()},
        "scroll_recall": {r: v["scroll"].get("recall", 0.0) for r, v in rs.items()},
        "scroll_articles_per_page": {r: v["scroll"]["predicted"] / v["scroll"]["true"] if v["scroll"] else 0.0
                                     for r, v in rs.items()},
    }
    out = {k: {"mean": sum(v.values()) / len(v), **v} for k, v in f.items()}
    if "html" in res:
        out["html_f1"] = res["html"]["best"]["f1"]
        out["html_title_ok"] = res["html"]["title_ok"]
        out["trafilatura_f1"] = res["trafilatura"]["best"]["f1"]
    return out


def table(res: dict) -> str:
    lines = [f"{'':<12}{'body F1':>8}{'P':>7}{'R':>7}{'first':>7}{'art/p':>7}{'title':>7}"
             f"{'scroll R':>9}{'art/true':>9}{'secs':>6}"]
    for r, v in res["renderers"].items():
        s, c = v["single"], v["scroll"]
        b = s["best"]
        lines.append(f"{r:<12}{b['f1']:8.3f}{b['precision']:7.3f}{b['recall']:7.3f}{s['first']['f1']:7.3f}"
                     f"{s['articles'] / s['pages']:7.2f}{s['title_ok']:7.3f}"
                     + (f"{c['recall']:9.3f}{c['predicted'] / c['true']:9.2f}" if c else f"{'-':>9}{'-':>9}")
                     + f"{v['seconds']:6.1f}")
    f = figures(res)
    lines.append(f"{'mean':<12}{f['body_f1']['mean']:8.3f}{'':>14}{f['first_f1']['mean']:7.3f}"
                 f"{f['articles_per_page']['mean']:7.2f}{f['title_ok']['mean']:7.3f}"
                 f"{f['scroll_recall']['mean']:9.3f}{f['scroll_articles_per_page']['mean']:9.2f}")
    if "html" in res:
        h, t = res["html"], res["trafilatura"]
        lines.append(f"{'html':<12}{h['best']['f1']:8.3f}{h['best']['precision']:7.3f}{h['best']['recall']:7.3f}"
                     f"{h['first']['f1']:7.3f}{h['articles'] / h['pages']:7.2f}{h['title_ok']:7.3f}")
        lines.append(f"{'trafilatura':<12}{t['best']['f1']:8.3f}{t['best']['precision']:7.3f}{t['best']['recall']:7.3f}")
    return "\n".join(lines)


def worst(res: dict, data: Dataset, n: int) -> str:
    out = []
    for r, v in res["renderers"].items():
        rows = sorted(v["per_page"].items(), key=lambda kv: kv[1]["best_f1"])[:n]
        out.append(f"{r}: " + "  ".join(f"{k[:8]} {x['best_f1']:.2f}/{x['first_f1']:.2f} n={x['n']}" for k, x in rows))
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", default=str(SHARED / "realpages"))
    ap.add_argument("--renderers", default=None)
    ap.add_argument("--halves", action="store_true", help="also score the two halves of the pages apart")
    ap.add_argument("--no-html", action="store_true")
    ap.add_argument("--json", default=None)
    ap.add_argument("--worst", type=int, default=0)
    ap.add_argument("--min-f1", type=float, default=0.0, help="floor on the mean body F1 over renderers")
    ap.add_argument("--min-first", type=float, default=0.0, help="floor on the mean first-article F1")
    ap.add_argument("--min-scroll-recall", type=float, default=0.0)
    args = ap.parse_args()
    data = Dataset(Path(args.out), args.renderers.split(",") if args.renderers else None)
    res = run(data, html=not args.no_html)
    print(table(res))
    if args.worst:
        print(worst(res, data, args.worst))
    report = {"all": figures(res)}
    if args.halves:
        for h in (0, 1):
            part = run(data, pages={p for p in data.truth if half(p) == h}, html=False)
            print(f"\nhalf {h} ({len(part['renderers'][data.renderers[0]]['per_page'])} pages)")
            print(table(part))
            report[f"half{h}"] = figures(part)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    f = report["all"]
    ok = (f["body_f1"]["mean"] >= args.min_f1 and f["first_f1"]["mean"] >= args.min_first
          and f["scroll_recall"]["mean"] >= args.min_scroll_recall)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
