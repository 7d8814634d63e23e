"""Training procedures for rasid's fitted parts, kept out of the product: `rasid` never imports
this package, except the `rasid train` command, which calls it when run (tests/test_stories_conformance.py
checks this). `stories`: fitting the story scorers; `ner`: training the NER CRFs (with `ner_clusters`, the word
clusters, and `data/ner.silver.json.gz`, the teacher's silver labels); `ner_neural`, `ner_e5`,
`ner_e5_torch`: the NER research code (the stacked BiLSTM, the multilingual-e5 teacher, its torch
fine-tuning), used by bench/ and by tests that skip without the models."""
