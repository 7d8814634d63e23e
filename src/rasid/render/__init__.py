"""A story as a reader sees it: views for the web pages, markdown, and a self-contained HTML file.

The web UI and `rasid story ID --format md|html` share this module, so a story looks the same in
the browser and in a file sent by mail. Everything here derives display data from the records
(who carries which statement, where the timeline marks go); nothing is stored.

Every string that comes from an article is untrusted: the HTML goes through Jinja2 with
autoescaping, the markdown through `md_text`, and a URL becomes a link only when it is http(s).

The package: `text` (display helpers), `story` (the story view), `markdown`, `html` (the Jinja2
renderer and the self-contained file).
"""

from .html import STATIC_DIR, TEMPLATES_DIR, WEB_DIR, Renderer, story_html
from .markdown import md_text, story_markdown
from .story import (
    ArticleRow,
    ChartDay,
    ChartEvent,
    ChartLine,
    Coverage,
    DisputeView,
    StatementView,
    StoryView,
    TimelineChart,
    coverage,
    story_view,
    timeline_chart,
)
from .text import (
    ENTITY_TYPES_AR,
    REMOVED_KINDS_AR,
    ar_count,
    article_lang,
    chip_class,
    format_date,
    format_when,
    lang_attr,
    outlet_names,
    path_id,
    safe_href,
    source_of,
)

__all__ = [
    "STATIC_DIR",
    "TEMPLATES_DIR",
    "WEB_DIR",
    "Renderer",
    "story_html",
    "md_text",
    "story_markdown",
    "ArticleRow",
    "ChartDay",
    "ChartEvent",
    "ChartLine",
    "Coverage",
    "DisputeView",
    "StatementView",
    "StoryView",
    "TimelineChart",
    "coverage",
    "story_view",
    "timeline_chart",
    "ENTITY_TYPES_AR",
    "REMOVED_KINDS_AR",
    "ar_count",
    "article_lang",
    "chip_class",
    "format_date",
    "format_when",
    "lang_attr",
    "outlet_names",
    "path_id",
    "safe_href",
    "source_of",
]
