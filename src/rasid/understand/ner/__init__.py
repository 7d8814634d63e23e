"""Arabic named-entity recognition as the product runs it: CRFs trained on ANERcorp, shipped in
`rasid/data/`, so users never train.

No installable package ships an Arabic NER model and nothing may be downloaded at run time, so
rasid trains its own linear-chain CRFs (python-crfsuite) on the ANERcorp training split, with the
features of `features` (clitics, stems, gazetteers, triggers, word clusters from unlabelled
SaudiNewsNet): a sentence CRF, then a document CRF (`stack`) that also sees how the first
labelled the same word elsewhere in the article; `crf` decodes both with numpy, bit for bit as
crfsuite would; Latin-script paragraphs go to the rules of `latin`.

The training and research code (building the resources and clusters, the CRF training, the e5
teacher's silver labels, the stacked BiLSTM) is in `rasid_training.ner` and its siblings, which
the product never imports; `rasid train ner` reaches it when it runs (docs/benchmarks/ner.md).
"""

from __future__ import annotations

from rasid.understand.ner.conll import read_conll
from rasid.understand.ner.crf import ChainTagger, CrfWeights, TokenBatch
from rasid.understand.ner.model import (
    TYPES,
    NerModel,
    default_model_path,
    doc_path,
    neural_path,
    resources_path,
)
from rasid.understand.ner.stack import spans_of

__all__ = [
    "TYPES",
    "ChainTagger",
    "CrfWeights",
    "NerModel",
    "TokenBatch",
    "default_model_path",
    "doc_path",
    "neural_path",
    "read_conll",
    "resources_path",
    "spans_of",
]
