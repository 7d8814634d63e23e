"""rasid (راصد, "the observer"): an open news story engine for Arabic.

The Python API (README, "Python API"):

    import rasid

    with rasid.open("news.db") as news:
        news.add("inbox/", {"title": "...", "text": "..."})
        summary = news.run()
        for story in news.stories():
            print(story.id, story.title, story.articles)

`rasid.open(db, **settings)` returns a `Rasid`: `add(paths or records)`, `run()`, `stories()`,
`story(id)`, `articles(story=None)`, `article(id)`, `search(query)`, `export(what)`, `close()`.
Records come back as the typed records of `rasid.model` (`Story`, `Article`, ...).
"""

__version__ = "0.1.0"

from .api import Rasid, open  # noqa: A004, E402 - after __version__, which the CLI imports first
from .model import Article, Entity, IngestError, Paragraph, Quote, Statement, Story, TimelineEvent  # noqa: E402

__all__ = [
    "Article",
    "Entity",
    "IngestError",
    "Paragraph",
    "Quote",
    "Rasid",
    "Statement",
    "Story",
    "TimelineEvent",
    "__version__",
    "open",
]
