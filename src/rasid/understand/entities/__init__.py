"""Entity canonicalisation: one entity per real-world referent across a story's articles.

NER gives surface mentions; a story spells one person four ways (كيم جونغ أون, كيم جونج أون,
Kim Jong Un, كيم), calls an agency by a long and a short name, and NER spans drag in clitics
(وبوتين, لروسيا) and titles (الرئيس بوتين). The canonicaliser groups mentions in three passes:

1. Surface clean-up: quotes and punctuation at the edges go; a leading clitic (و ف ب ل ك, لل)
   goes only when the rest is seen elsewhere in the batch as a name start (evidence, not a rule:
   بوتين keeps its ب because وتين is never seen); leading titles go for people, leading generic
   place nouns (مدينة, قاعدة ...) for places. Mentions with the same matching form become one
   *form*, whose type is the majority type of its mentions.
2. Equivalence: two forms of the same type are one name when every aligned token matches on
   the transliteration skeleton (`translit`), which covers spelling drift and Latin/Arabic
   script; organisation names also match on their distinctive content words (everything but
   function words and generic institutional nouns such as وكالة, أنباء, رسمية), so long and
   short renderings of one agency meet while وكالة الأنباء الروسية stays apart from the Korean one.
3. Short forms: a surname (بوتين), a Korean surname-first head (كيم), a place head
   (كومسومولسك) or an organisation's subset of distinctive words attaches to the unique longer
   name that contains it; when several longer names could, the one in the same article wins,
   and otherwise nothing is merged. A given name alone (ألكسندر) never attaches. A place followed
   by a defining adjective (كوريا الشمالية, الإمارات العربية المتحدة) is the place alone only when
   the story has no other longer name it could be short for (كوريا beside both Koreas stays
   apart) and the short form is a name by itself in news: the corpus lexicon
   (`rules.Lexicon`) says which words are only ever parts of names (المملكة of المملكة المغربية)
   or common words (المنطقة), and those never attach this way.

Names written with and without a space (أبوظبي / أبو ظبي, عبدالله / عبد الله) are one name, and a
short name in apposition to a descriptive one (وكالة الأنباء الروسية الرسمية “تاس”, marked by
the rule layer in `Mention.alias`) is one entity with it.

The package: `words` (word lists, settings, the per-form record), `matching` (passes 2 and 3:
when two names are one, when a short form names a longer one) and `canonicaliser` (the passes
in order and the entities built).

No name of any particular person or place is known to this module.
"""

from .canonicaliser import EntityCanonicaliser
from .words import TYPES, CanonSettings

__all__ = ["TYPES", "CanonSettings", "EntityCanonicaliser"]
