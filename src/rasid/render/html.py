"""HTML: the Jinja2 environment over the web templates (autoescape on) with the shared filters,
and a story as one self-contained file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..model import Article, Story
from ..outlets import OutletRegistry, shipped_registry
from .story import story_view
from .text import (
    ENTITY_TYPES_AR,
    REMOVED_KINDS_AR,
    ar_count,
    chip_class,
    format_date,
    format_when,
    lang_attr,
    path_id,
    safe_href,
)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


class Renderer:
    """The Jinja2 environment (autoescape on) over the web templates, with the shared filters.

    One per app (or per offline render): it caches compiled templates, so it is an object passed
    around rather than module state. Jinja2 is part of the `web` extra, imported here lazily.
    """

    def __init__(
        self,
        templates: Path = TEMPLATES_DIR,
        static: Path = STATIC_DIR,
        outlets: OutletRegistry | None = None,
    ) -> None:
        try:
            import jinja2
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise RuntimeError("HTML rendering needs Jinja2, a dependency of rasid: reinstall rasid") from exc
        self.static = static
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates)),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters.update(
            safe_href=safe_href,
            path_id=path_id,
            chip=chip_class,
            date=format_date,
            when=format_when,
            lang_attr=lang_attr,
            entity_type=lambda t: ENTITY_TYPES_AR.get(t, t),
            count=ar_count,
            removed_kind=lambda k: REMOVED_KINDS_AR.get(k, k),
            outlet=(outlets or shipped_registry()).display_name,
        )
        self._css: str | None = None

    @property
    def css(self) -> str:
        if self._css is None:
            self._css = (self.static / "style.css").read_text(encoding="utf-8")
        return self._css

    def page(self, name: str, **context: Any) -> str:
        context.setdefault("offline", False)
        context.setdefault("inline_css", "")
        return self.env.get_template(name).render(**context)

    def story_html(
        self,
        story: Story,
        articles: Mapping[str, Article],
        related_titles: Mapping[str, str] | None = None,
        outlets: OutletRegistry | None = None,
    ) -> str:
        """A self-contained HTML file: CSS inlined, no scripts, no external resources."""
        return self.page(
            "story.html",
            view=story_view(story, articles, related_titles, outlets),
            offline=True,
            inline_css=self.css,
            title=story.title or story.id,
        )


def story_html(
    story: Story,
    articles: Mapping[str, Article],
    related_titles: Mapping[str, str] | None = None,
    outlets: OutletRegistry | None = None,
) -> str:
    """The story page as one self-contained HTML file (same look as the web UI)."""
    return Renderer().story_html(story, articles, related_titles, outlets)
