"""A story as markdown (`rasid story ID --format md`): untrusted text made inert, links only when
http(s)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from ..model import Article, Story
from ..outlets import OutletRegistry
from .story import story_view
from .text import ENTITY_TYPES_AR, ar_count, format_date, safe_href, source_of

_URL_SAFE = ":/?#[]@!$&'*+,;=%~"
# Inline markdown syntax anywhere; block syntax (headings, lists, quotes) only where a line starts.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MD_BLOCK = re.compile(r"^(\s*)([#>+-]|\d+(?=[.)]))")


def md_text(value: str | None) -> str:
    """Untrusted text as inert markdown: HTML characters as entities, markdown syntax escaped."""
    if not value:
        return ""
    value = " ".join(value.split())
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _MD_SPECIAL.sub(r"\\\1", value)
    return _MD_BLOCK.sub(_escape_block, value)


def _escape_block(m: re.Match[str]) -> str:
    """'# x' -> '\\# x', '1. x' -> '1\\. x': a leading marker stays text."""
    lead, mark = m.group(1), m.group(2)
    return f"{lead}{mark}\\" if mark.isdigit() else f"{lead}\\{mark}"


def _md_link(label: str, url: str | None) -> str:
    href = safe_href(url)
    if href is None:
        return md_text(label) + (f" ({md_text(url)})" if url else "")
    dest = quote(href, safe=_URL_SAFE)
    return f"[{md_text(label)}](<{dest}>)"


def story_markdown(
    story: Story,
    articles: Mapping[str, Article],
    related_titles: Mapping[str, str] | None = None,
    outlets: OutletRegistry | None = None,
) -> str:
    """The story as markdown: brief with outlets, timeline, entities, quotes, disputes, coverage,
    articles, related stories."""
    view = story_view(story, articles, related_titles, outlets)
    out: list[str] = [f"# {md_text(story.title) or md_text(story.id)}", ""]
    span = " – ".join(x for x in (format_date(view.date_from), format_date(view.date_to)) if x)
    counts = f"{ar_count(len(view.outlets), 'outlet')} · {ar_count(len(story.articles), 'article')}"
    out.append(counts + (f" · {span}" if span else ""))
    out.append("")
    if view.statements:
        out += ["## الموجز", ""]
        for st in view.statements:
            marks = []
            if st.single_source:
                marks.append("مصدر واحد")
            if st.disputed:
                marks.append("متنازع عليه")
            tail = f" ({'، '.join(marks)})" if marks else ""
            out.append(f"{st.number}. {md_text(st.text)} — {'، '.join(md_text(s) for s in st.sources)}{tail}")
        out.append("")
    if story.timeline:
        out += ["## الخط الزمني", ""]
        for ev in sorted(story.timeline, key=lambda e: e.date or ""):
            out.append(f"- **{md_text(ev.date)}** {md_text(ev.text)} ({len(set(ev.articles))})")
        out.append("")
    if story.entities:
        out += ["## الكيانات", ""]
        for ent in story.entities:
            variants = [v for v in ent.variants if v != ent.name]
            extra = f" — {'، '.join(md_text(v) for v in variants)}" if variants else ""
            kind = ENTITY_TYPES_AR.get(ent.type, ent.type)
            out.append(f"- **{md_text(ent.name)}** ({md_text(kind)}){extra}")
        out.append("")
    if story.quotes:
        out += ["## الاقتباسات", ""]
        for q in story.quotes:
            who = view.names.get(q.article) or source_of(articles.get(q.article), q.article, outlets)
            out.append(f"- **{md_text(q.speaker)}**: «{md_text(q.text)}» ({md_text(who)})")
        out.append("")
    if view.disputes:
        out += ["## ادعاءات متنازع عليها", ""]
        for d in view.disputes:
            out.append(f"- الادعاء: {md_text(d.claim)} ({'، '.join(md_text(s) for s in d.claim_sources)})")
            out.append(f"  - النفي: {md_text(d.text)} ({'، '.join(md_text(s) for s in d.denial_sources)})")
        out.append("")
    if view.coverage.rows:
        cov = view.coverage
        out += ["## تغطية المصادر", ""]
        out.append("| # | " + " | ".join(md_text(o) for o in cov.outlets) + " |")
        out.append("|---|" + "---|" * len(cov.outlets))
        for st, cells in cov.rows:
            out.append(f"| {st.number} | " + " | ".join("✓" if c else "" for c in cells) + " |")
        out.append("| | " + " | ".join(str(cov.carried.get(o, 0)) for o in cov.outlets) + " |")
        out.append("")
        for outlet, nums in cov.exclusive.items():
            out.append(f"- ينفرد {md_text(outlet)} بـ: {'، '.join(str(n) for n in nums)}")
        for outlet, nums in cov.omitted.items():
            out.append(f"- لا يذكر {md_text(outlet)}: {'، '.join(str(n) for n in nums)}")
        out.append("")
    if view.articles:
        out += ["## المقالات", ""]
        for row in view.articles:
            when = f" · {md_text(row.published[:10])}" if row.published else ""
            out.append(f"- {_md_link(row.title, row.url)} — {md_text(row.source)}{when}")
        out.append("")
    if view.related:
        out += ["## قصص ذات صلة", ""]
        out += [f"- {md_text(title)} — {md_text(sid)}" for sid, title in view.related]
        out.append("")
    return "\n".join(out).rstrip() + "\n"
