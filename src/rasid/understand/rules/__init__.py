"""Rule layer over a story's NER mentions: names the tagger misses or cuts short, and junk it tags.

The statistical tagger (ANERcorp-trained) is good at people and countries and weak at
organisations, facilities and foreign place names; it also tags a common word now and then. These
rules read the paragraphs around the mentions, with two corpus facts from the packaged
`data/rules_lexicon.json.gz` (measured on SaudiNewsNet and ANERcorp by bench/entities_lexicon.py,
not listed by hand): which words are common words of news, and which are parts of longer names
but never a name alone.

- Trigger nouns (وكالة, مصنع, منطقة, محطة ...) announce a name: the rare words or the quoted name
  after them ("منطقة خاباروفسك", 'محطة قطارات "أرتيوم-بريمورسكي-1"'), a person's name after a
  facility noun making the facility ("مصنع طائرات يوري غاغارين"), and an agency's descriptive
  name of nisba adjectives ("وكالة الأنباء الفرنسية", "الوكالة الكورية المركزية الرسمية للأنباء"),
  with the quoted or bracketed short name that may follow it ("تاس", "KCNA").
- Place names joined by a foreign preposition (كومسومولسك أون أمور, نا أمور) are one name.
- Two rare words ending in a Slavic or Caucasian surname ending are a person (قسطنطين أسمولوف).
- Junk: a mention made only of common words, a one-word mention that is only ever part of longer
  names and is not part of one in this story, a conjunction glued to an unknown word (وعاين).

The package: `lexicon` (word lists, the corpus lexicon), `words` (word facts, junk),
`spans` (trigger nouns, surnames, joined place names) and `story_rules` (the passes over a story).

No name of any particular person, place or organisation is known to this module.
"""

from .lexicon import LEXICON_PATH, Lexicon
from .story_rules import StoryRules

__all__ = ["LEXICON_PATH", "Lexicon", "StoryRules"]
