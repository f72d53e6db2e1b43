#!/usr/bin/env python3
"""Validates bench/quality/queries.json against the reference texts.

Every `contains` phrase must occur in the reference text of the file it names
(`pdf/NAME.pdf` -> ../shared/corpus/pdf/NAME.pdftotext.txt, `docx/NAME.docx` ->
../shared/corpus/docx/NAME.pandoc.txt, `docs/NAME.md` -> bench/quality/docs/NAME.md),
after the same normalisation the harness (crates/cli/benches/quality.rs) applies to
chunk text: whitespace runs become one space, whitespace next to a CJK character is
dropped, and case is ignored. A phrase must also fit on one page (no form feed inside).

Usage: python3 bench/quality/check_queries.py [--corpus DIR]
Exit status 1 when anything is wrong.
"""

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKSPACE = HERE.parent.parent
KINDS = {"identifier": 15, "chinese": 15, "natural": 20, "keyword": 10}
LANGS = {"en", "zh"}
MIN_QUERIES = 66
CJK = r"\u2e80-\u2fff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
LIGATURES = re.compile("[\ufb00-\ufb06]")


def normalise(text: str) -> str:
    """Mirrors `normalise` in crates/cli/benches/quality.rs."""
    text = re.sub(r"\s+", " ", text)
    text = re.sub(rf"(?<=[{CJK}]) | (?=[{CJK}])", "", text)
    return text.strip().lower()


def reference_path(file: str, corpus: Path) -> Path:
    if file.startswith("docs/"):
        return HERE / file
    if file.startswith("pdf/") and file.endswith(".pdf"):
        return corpus / (file[: -len(".pdf")] + ".pdftotext.txt")
    if file.startswith("docx/") and file.endswith(".docx"):
        return corpus / (file[: -len(".docx")] + ".pandoc.txt")
    raise ValueError(f"unknown file kind: {file}")


def phrases_of(rel: dict) -> list:
    c = rel.get("contains")
    return [c] if isinstance(c, str) else list(c or [])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=WORKSPACE.parent / "shared" / "corpus")
    ap.add_argument("--queries", type=Path, default=HERE / "queries.json")
    args = ap.parse_args()

    data = json.loads(args.queries.read_text(encoding="utf-8"))
    errors, warnings = [], []
    have_corpus = args.corpus.is_dir()
    if not have_corpus:
        warnings.append(f"no corpus at {args.corpus}: only bench/quality/docs phrases are checked")
    if data.get("version") != 1:
        errors.append("version must be 1")
    queries = data.get("queries", [])
    if len(queries) < MIN_QUERIES:
        errors.append(f"{len(queries)} queries, want at least {MIN_QUERIES}")
    kinds = Counter(q.get("kind") for q in queries)
    for kind, least in KINDS.items():
        if kinds[kind] < least:
            errors.append(f"{kinds[kind]} queries of kind {kind}, want at least {least}")
    ids = Counter(q.get("id") for q in queries)
    errors += [f"duplicate id {i}" for i, n in ids.items() if n > 1]

    cache = {}
    for q in queries:
        qid = q.get("id", "?")
        if q.get("kind") not in KINDS:
            errors.append(f"{qid}: unknown kind {q.get('kind')!r}")
        if q.get("lang") not in LANGS:
            errors.append(f"{qid}: unknown lang {q.get('lang')!r}")
        if not str(q.get("query", "")).strip():
            errors.append(f"{qid}: empty query")
        rels = q.get("relevant") or []
        if not rels:
            errors.append(f"{qid}: no relevant passages")
        for rel in rels:
            file = rel.get("file", "")
            phrases = phrases_of(rel)
            if not 1 <= len(phrases) <= 3:
                errors.append(f"{qid}: {file}: 1 to 3 phrases per passage, not {len(phrases)}")
            if not have_corpus and not file.startswith("docs/"):
                continue
            try:
                path = reference_path(file, args.corpus)
            except ValueError as e:
                errors.append(f"{qid}: {e}")
                continue
            if path not in cache:
                if not path.is_file():
                    errors.append(f"{qid}: no reference text {path}")
                    cache[path] = None
                else:
                    raw = path.read_text(encoding="utf-8", errors="replace")
                    cache[path] = [normalise(page) for page in raw.split("\f")]
            pages = cache[path]
            if pages is None:
                continue
            if not any(pages):
                errors.append(f"{qid}: the reference text of {file} is empty (the anchor failed on it)")
            for phrase in phrases:
                p = normalise(phrase)
                if LIGATURES.search(phrase):
                    errors.append(f"{qid}: ligature in {phrase!r}")
                if not any(p in page for page in pages):
                    whole = " ".join(pages)
                    why = "spans a page break" if p in whole else "not found"
                    errors.append(f"{qid}: {file}: {why}: {phrase!r}")
                words = len(phrase.split()) if not re.search(f"[{CJK}]", phrase) else len(re.sub(r"\s", "", phrase)) / 2
                if not 1 <= words <= 14:
                    warnings.append(f"{qid}: phrase length {words:g} words: {phrase!r}")

    for w in warnings:
        print("warning:", w)
    for e in errors:
        print("error:", e)
    langs = Counter(q.get("lang") for q in queries)
    passages = sum(len(q.get("relevant") or []) for q in queries)
    print(
        f"{len(queries)} queries ({', '.join(f'{k} {kinds[k]}' for k in KINDS)}; "
        f"{', '.join(f'{k} {v}' for k, v in sorted(langs.items()))}), {passages} relevant passages: "
        + ("FAILED" if errors else "ok")
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
