"""Training procedures for rasid's fitted parts, kept out of the product: `rasid` never imports
this package, except the `rasid train` command, which calls it when run (tests/test_stories_conformance.py
checks this). `stories`: fitting the story scorers; `ner_e5`, `ner_e5_torch`: the NER research code
(the multilingual-e5 teacher, its torch fine-tuning), used by bench/ and by tests that skip without
the models."""
