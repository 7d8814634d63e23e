"""The story scorers: small logistic regressions over named signals, stored as plain JSON (no
pickle), with the names of the signals each one reads and the files they ship in; and the two
fitting helpers the training procedure (`rasid_training.stories`) uses (scikit-learn is imported
only when they are called)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

FEATURES = (
    "cos_centroid",
    "cos_best",
    "gap_centroid",
    "gap_best",
    "lex",
    "lex_title",
    "rare_shared",
    "num_shared",
    "log_size",
    "dup",
    "same_source",
    "mlex_body",
    "mlex_title",
    "mburst",
    "mroutine",
)
# The signals that do not compare words: they hold between an article and a story in different
# languages, where the lexical ones are zero whatever the two report.
LANG_FREE = (
    "cos_centroid",
    "cos_best",
    "gap_centroid",
    "gap_best",
    "num_shared",
    "log_size",
    "dup",
    "same_source",
)
# The merge signals that do not compare words (two stories in different languages).
MERGE_LANG_FREE = (
    "cos_centroid",
    "cos_best_pair",
    "num_shared",
    "log_size_min",
    "log_size_max",
    "gap_days",
    "source_overlap",
)
# Signals for merging two active stories (a fragment and the story it belongs with).
MERGE_FEATURES = (
    "cos_centroid",
    "cos_best_pair",
    "lex",
    "lex_title",
    "num_shared",
    "log_size_min",
    "log_size_max",
    "gap_days",
    "source_overlap",
    "mlex_body",
)
# Signals of one article and one member of a candidate story (the core-linkage check in `assign`).
PAIR_FEATURES = (
    "use",
    "body",
    "title",
    "lead",
    "gap",
    "same_day",
    "same_source",
    "use_same_day",
    "body_same_day",
    "burst",
    "routine_share",
)


# the files of the four scorers a StoryClusterer uses, by its keyword argument (in `rasid/data/`,
# and in a folder named by the `story_models` setting)
MODEL_FILES = {
    "model": "story_model.json",
    "merge_model": "story_merge.json",
    "cross_model": "story_model_xling.json",
    "cross_merge_model": "story_merge_xling.json",
    "pair_model": "story_pair.json",
}


@dataclass(slots=True)
class StoryModel:
    """A logistic regression over standardised FEATURES, with its decision threshold."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    threshold: float = 0.5
    trained_on: str = ""
    # The range of each feature in the training rows: inputs are clipped to it, so a linear model
    # never extrapolates (one day of labels has no 500-article story; left unclipped, the size term
    # alone made a story that large swallow every royal-news article of the archive).
    lo: list[float] | None = None
    hi: list[float] | None = None
    # Features left to extrapolate above that range. The pair scorer's `gap` is one: its effect is
    # monotone by construction (reports further apart are less likely one happening), its training
    # days span under three days, and a stream runs for weeks; clipped there, a daily bulletin eleven
    # days on scored as if it were two days on, and a running topic kept its first reports as its core.
    unbounded_above: tuple[str, ...] = ()

    def proba(self, X: np.ndarray) -> np.ndarray:
        if self.lo is not None and self.hi is not None:
            hi = np.asarray(self.hi)
            if self.unbounded_above:
                hi = np.where([f in self.unbounded_above for f in self.features], np.inf, hi)
            X = np.clip(X, np.asarray(self.lo), hi)
        z = (X - np.asarray(self.mean)) / np.asarray(self.scale)
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.coef) + self.intercept)))

    def to_json(self) -> str:
        return json.dumps(
            {
                "features": self.features,
                "mean": self.mean,
                "scale": self.scale,
                "coef": self.coef,
                "intercept": self.intercept,
                "threshold": self.threshold,
                "trained_on": self.trained_on,
                "lo": self.lo,
                "hi": self.hi,
                "unbounded_above": list(self.unbounded_above),
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str, expect: tuple[str, ...] = FEATURES) -> StoryModel:
        d = json.loads(text)
        if list(d["features"]) != list(expect):
            raise ValueError(f"story model features {d['features']} do not match this code's {list(expect)}")
        d["unbounded_above"] = tuple(d.get("unbounded_above", ()))
        return cls(**d)

    @classmethod
    def _load(cls, name: str, path: str | Path | None, expect: tuple[str, ...]) -> StoryModel | None:
        """The model at `path`, or the shipped `rasid/data/<name>` (None if it is not shipped)."""
        if path is not None:
            return cls.from_json(Path(path).read_text(encoding="utf-8"), expect)
        f = resources.files("rasid").joinpath(f"data/{name}")
        return cls.from_json(f.read_text(encoding="utf-8"), expect) if f.is_file() else None

    @classmethod
    def load(cls, path: str | Path | None = None) -> StoryModel:
        """The model at `path`, or the one shipped in `rasid/data/story_model.json`."""
        model = cls._load(MODEL_FILES["model"], path, FEATURES)
        if model is None:
            raise FileNotFoundError("rasid/data/story_model.json is not in the package")
        return model

    @classmethod
    def load_cross(cls, path: str | Path | None = None) -> StoryModel | None:
        """The cross-language candidate scorer at `path`, or the shipped
        `rasid/data/story_model_xling.json` (None if absent); see `fit_cross_model`."""
        return cls._load(MODEL_FILES["cross_model"], path, FEATURES)

    @classmethod
    def load_cross_merge(cls, path: str | Path | None = None) -> StoryModel | None:
        """The merge scorer for two stories in different languages at `path`, or the shipped
        `rasid/data/story_merge_xling.json` (None if absent)."""
        return cls._load(MODEL_FILES["cross_merge_model"], path, MERGE_FEATURES)

    @classmethod
    def load_pair(cls, path: str | Path | None = None) -> StoryModel | None:
        """The article-member pair scorer at `path`, or the shipped `rasid/data/story_pair.json`
        (None if absent: no core-linkage check)."""
        return cls._load(MODEL_FILES["pair_model"], path, PAIR_FEATURES)

    @classmethod
    def load_merge(cls, path: str | Path | None = None) -> StoryModel | None:
        """The story-merge model at `path`, or the shipped `rasid/data/story_merge.json` (None if absent)."""
        return cls._load(MODEL_FILES["merge_model"], path, MERGE_FEATURES)

    @classmethod
    def load_folder(cls, folder: str | Path) -> dict[str, StoryModel | None]:
        """The story scorers in `folder`, under the file names of the shipped ones (as `rasid train
        stories --out` writes them), as StoryClusterer keyword arguments. The
        folder must hold `story_model.json`; a merge or cross-language file it lacks is the shipped one."""
        d = Path(folder)
        main = d / MODEL_FILES["model"]
        if not main.is_file():
            raise FileNotFoundError(f"{main}: no story model there (setting story_models = {str(folder)!r})")

        def own(role: str) -> Path | None:
            f = d / MODEL_FILES[role]
            return f if f.is_file() else None

        return {
            "model": cls.load(main),
            "merge_model": cls.load_merge(own("merge_model")),
            "cross_model": cls.load_cross(own("cross_model")),
            "cross_merge_model": cls.load_cross_merge(own("cross_merge_model")),
            "pair_model": cls.load_pair(own("pair_model")),
        }


def fit_story_model(
    X: np.ndarray, y: np.ndarray, C: float = 1.0, trained_on: str = "", features: tuple[str, ...] = FEATURES
) -> StoryModel:
    """Fit the candidate scorer (scikit-learn, at training time only) and export it as a StoryModel."""
    from sklearn.linear_model import LogisticRegression

    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    lr = LogisticRegression(C=C, max_iter=2000)
    lr.fit((X - mean) / scale, y.astype(int))
    return StoryModel(
        features=list(features),
        mean=mean.tolist(),
        scale=scale.tolist(),
        coef=lr.coef_[0].tolist(),
        intercept=float(lr.intercept_[0]),
        threshold=0.5,
        trained_on=trained_on,
        lo=X.min(axis=0).tolist(),
        hi=X.max(axis=0).tolist(),
    )


def fit_cross_model(
    X: np.ndarray,
    y: np.ndarray,
    C: float = 1.0,
    trained_on: str = "",
    features: tuple[str, ...] = FEATURES,
    keep: tuple[str, ...] = LANG_FREE,
) -> StoryModel:
    """The scorer for an article and a story (or two stories, with MERGE_FEATURES and
    MERGE_LANG_FREE) in different languages: fitted on the same rows as the main model, with the
    signals that do not compare words only, and returned over all `features` with zero weight on
    the lexical ones (so the clusterer scores both with one row)."""
    cols = [features.index(f) for f in keep]
    sub = fit_story_model(X[:, cols], y, C=C, trained_on=trained_on)
    mean, scale, coef = X.mean(axis=0), X.std(axis=0), np.zeros(len(features))
    scale[scale == 0] = 1.0
    lo, hi = X.min(axis=0), X.max(axis=0)
    for j, c in enumerate(cols):
        mean[c], scale[c], coef[c] = sub.mean[j], sub.scale[j], sub.coef[j]
    return StoryModel(
        features=list(features),
        mean=mean.tolist(),
        scale=scale.tolist(),
        coef=coef.tolist(),
        intercept=sub.intercept,
        threshold=0.5,
        trained_on=trained_on,
        lo=lo.tolist(),
        hi=hi.tolist(),
    )
