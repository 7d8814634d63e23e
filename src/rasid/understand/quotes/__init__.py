"""Quotes: who said what, in direct and reported speech, with the speaker as a canonical entity.

Arabic news attributes speech with a small set of verbs (قال، أضاف، أكد، أفاد، ذكر، أشار، صرح،
أوضح ...) and source phrases (بحسب، وفقا لـ، نقلا عن). The verb sits in one of a few frames:

    قال [المتحدث باسم الكرملين] دميتري بيسكوف، الخميس، إن ...      speaker after the verb
    شويغو قال لكيم عن إحدى الطائرات: "..."                        speaker before, addressee after
    عبر عنها كيم جونغ أون، في تصريحات صحفية قائلا: «...»          participle, subject earlier
    وأضاف إن ...                                                  continues the last speaker
    ...، بحسب ما أوردت الوكالة ...                                 source after what it reported

So each trigger is read as: a speaker region (between the verb and the complementizer إن/أن, a
colon or an opening quote mark), a speaker found there or earlier in the sentence, and a quote
text that is the quoted span after a colon, or the clause after إن/أن up to the next trigger or
the end of the sentence. A speaker must be a mention resolved to a canonical entity; a trigger
with none is dropped rather than guessed. Quote marks that are not introduced by speech (scare
quotes: "ذروة جديدة") are not quotes.

The package: `words` (speech verbs and source phrases, settings, records), `text` (quote marks,
sentences), `speakers` (where the speaker of a trigger is) and `extractor` (one article's quotes).
"""

from .extractor import QuoteExtractor
from .words import QuoteSettings

__all__ = ["QuoteExtractor", "QuoteSettings"]
