"""The document-type classifier: which of the DOC_TYPES a document is, from its text, with a
calibrated confidence. Word and character n-grams (character n-grams survive OCR errors and
upper-case scans) feed a multinomial logistic regression; the training texts are doubled with
OCR-like noise so the model does not rely on clean spelling. With an encoder, a second logistic
regression reads the sentence embedding of the document's head (its first ``head_chars``
characters: title, addressee, opening), a third the embedding of its title line alone
(:func:`title_line`: a family's title, "ДОГОВОР КУПЛИ-ПРОДАЖИ", says what it is even where its
body reads like another type's), and the three are fused as a weighted product of probabilities
(the two embedding weights chosen by leave-one-family-out when trained on template families,
:func:`choose_fusion_weights`): the embeddings carry the meaning of wording the n-grams never saw.
The embeddings are computed only where they are needed: a document the n-grams alone type with
calibrated confidence ``ngram_sure`` or more keeps their answer (64 % of the documents in the
leave-one-family-out suite; every document fused scored macro-F1 0.942 there against 0.939, at the
cost of embedding them all)."""

from __future__ import annotations

import random
import re

import numpy as np
from scipy import sparse
from scipy.special import log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin

from models.calibration import fit_temperature, softmax

# Pairs tesseract confuses on Russian scans (either direction).
_CONFUSIONS = [
    ("о", "0"), ("О", "0"), ("З", "3"), ("б", "6"), ("е", "с"), ("и", "н"), ("ш", "щ"), ("л", "п"),
    ("т", "г"), ("В", "8"), ("ь", "ъ"), ("й", "и"), ("ё", "е"), ("с", "c"), ("а", "a"),
]  # fmt: skip
_SPACE = re.compile(r"[ \t]+")


def ocr_noise(text: str, rng: random.Random, rate: float = 0.03) -> str:
    """The same text as a mediocre scan reads: character confusions and drops, lines merged or
    broken, sometimes all in capitals (as some OCR engines output)."""
    chars = []
    for ch in text:
        r = rng.random()
        if r < rate:
            pair = next((p for p in _CONFUSIONS if ch in p), None)
            chars.append((pair[1] if ch == pair[0] else pair[0]) if pair else ch)
        elif r < rate * 1.4:
            continue
        else:
            chars.append(ch)
    out = "".join(chars)
    if rng.random() < 0.3:
        out = out.replace("\n", " ")
    if rng.random() < 0.25:
        out = out.upper()
    return out


def _prepare(text: str) -> str:
    return _SPACE.sub(" ", text.lower().replace("ё", "е"))


def title_zone(text: str, lines: int = 3) -> str:
    """The first lines of a document, where its title and addressee are: the strongest cue to its
    type ("ДОГОВОР ...", "АКТ ...", "Директору ... от ...")."""
    return "\n".join([ln for ln in text.splitlines() if ln.strip()][:lines])[:300]


_WORD = re.compile(r"[А-Яа-яЁё]{3,}")


def title_line(text: str, within: int = 5) -> str:
    """The line that names the document: among the first ``within`` lines that carry a word (three
    Cyrillic letters or more, so OCR debris such as "a” i," or "|" is passed over), the first set in
    capitals, as Russian documents set their titles ("АКТ" under "Приложение к Договору ...",
    "ДОГОВОР № 2/31"); else the first of them."""
    lines = [ln.strip() for ln in text.splitlines() if _WORD.search(ln)][:within]
    title = next((line for line in lines if in_capitals(line)), lines[0] if lines else "")
    return title[:200]


def in_capitals(line: str, min_letters: int = 1) -> bool:
    """Whether a line is set in capitals (80 % of its letters, at least ``min_letters`` of them)."""
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= min_letters and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


# 600 characters: 74 e5 tokens median, 110 at p95 on the generated texts. Shorter heads were as good on
# the generated held-out families (400: macro-F1 0.865, as 600) but worse on the real phone scans,
# whose title often comes after a preamble (400: shared types 0.83 accuracy, 600: 0.96).
HEAD_CHARS = 600


def embed_heads(encoder, texts: list[str], head_chars: int = HEAD_CHARS, progress: bool | None = None) -> np.ndarray:
    """Sentence embeddings of the documents' heads (their first ``head_chars`` characters) and of
    their title lines, side by side: ``2 * encoder.dim`` columns."""
    heads = encoder.encode_documents([t[:head_chars] if t.strip() else " " for t in texts], progress=progress)
    titles = encoder.encode_documents([title_line(t) or " " for t in texts], progress=progress)
    return np.hstack([heads, titles])


class DocTypeClassifier(ClassifierMixin, BaseEstimator):
    """Word (1-2) and character (2-5, within words) TF-IDF, logistic regression, temperature;
    with an ``encoder``, fused with logistic regressions over the embeddings of the head and of the
    title line (:func:`embed_heads`)."""

    def __init__(
        self,
        C: float = 8.0,
        title_weight: float = 1.0,
        max_chars: int = 4000,
        noise_copies: int = 1,
        random_state: int = 0,
        encoder=None,
        # the fusion weights where none are chosen (:func:`choose_fusion_weights` chooses them by
        # leave-one-family-out when the model is trained on template families)
        embedding_weight: float = 0.7,
        embedding_C: float = 10.0,
        title_embedding_weight: float = 0.5,
        head_chars: int = HEAD_CHARS,
        ngram_sure: float = 0.95,
    ) -> None:
        self.C = C
        self.title_weight = title_weight
        self.max_chars = max_chars
        self.noise_copies = noise_copies
        self.random_state = random_state
        self.encoder = encoder
        self.embedding_weight = embedding_weight
        self.embedding_C = embedding_C
        self.title_embedding_weight = title_embedding_weight
        self.head_chars = head_chars
        self.ngram_sure = ngram_sure  # above 1: every document is fused

    def _texts(self, X) -> list[str]:
        return [_prepare(t[: self.max_chars]) for t in X]

    def _features(self, X):
        X = list(X)
        texts = self._texts(X)
        titles = [_prepare(title_zone(t)) for t in X]
        return sparse.hstack(
            [
                self.words_.transform(texts),
                self.chars_.transform(texts),
                self.title_weight * self.titles_.transform(titles),
            ]
        ).tocsr()

    def _embeddings(self, X, embeddings: np.ndarray | None) -> np.ndarray | None:
        if self.encoder is None and embeddings is None:
            return None
        return embeddings if embeddings is not None else embed_heads(self.encoder, list(X), self.head_chars)

    def fit(
        self, X, y, X_val=None, y_val=None, embeddings=None, val_embeddings=None, fusion_weights=None
    ) -> DocTypeClassifier:
        """``embeddings`` (and ``val_embeddings``): precomputed :func:`embed_heads` of X (X_val).
        ``fusion_weights``: (head, title) embedding weights to fuse with, e.g. chosen by
        :func:`choose_fusion_weights`; default the constructor's ``embedding_weight`` and
        ``title_embedding_weight``. Kept as ``fusion_weights_``."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        rng = random.Random(self.random_state)
        self.fusion_weights_ = tuple(fusion_weights or (self.embedding_weight, self.title_embedding_weight))
        X, y = list(X), list(y)
        texts, labels = list(X), list(y)
        for _ in range(self.noise_copies):
            texts += [ocr_noise(t, rng) for t in X]
            labels += y
        prepared = self._texts(texts)
        self.words_ = TfidfVectorizer(
            token_pattern=r"(?u)\b[^\W\d_]{2,}\b", ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=60000
        ).fit(prepared)
        self.chars_ = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True, max_features=120000
        ).fit(prepared)
        self.titles_ = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True, max_features=30000
        ).fit([_prepare(title_zone(t)) for t in texts])
        features = self._features(texts)
        self.model_ = LogisticRegression(C=self.C, max_iter=2000).fit(features, labels)
        self.classes_ = self.model_.classes_
        emb = self._embeddings(X, embeddings)  # the clean texts: e5 reads through OCR noise itself
        self.embedding_model_ = self.title_model_ = None
        if emb is not None:
            heads, titles = np.hsplit(emb, 2)
            self.embedding_model_ = LogisticRegression(C=self.embedding_C, max_iter=3000).fit(heads, y)
            self.title_model_ = LogisticRegression(C=self.embedding_C, max_iter=3000).fit(titles, y)
            for model in (self.embedding_model_, self.title_model_):
                if list(model.classes_) != list(self.classes_):
                    raise ValueError("the models saw different document types")
        self.temperature_ = self.ngram_temperature_ = 1.0
        if X_val is not None and len(X_val):
            X_val = list(X_val)
            index = {c: i for i, c in enumerate(self.classes_)}
            gold = np.array([index[c] for c in y_val])
            # the n-grams alone type pages for splitting and the documents they are sure of: their
            # confidence is calibrated on its own; the fused one on the documents left to it
            logits = self.ngram_logits(X_val)
            self.ngram_temperature_ = fit_temperature(logits, gold)
            self.temperature_ = self.ngram_temperature_
            if self.embedding_model_ is not None:
                rows = np.flatnonzero(self._unsure(softmax(logits / self.ngram_temperature_)))
                if len(rows) < 20:  # too few to fit on: all of them
                    rows = np.arange(len(gold))
                emb = None if val_embeddings is None else val_embeddings[rows]
                fused = self.decision_function([X_val[i] for i in rows], emb, logits[rows])
                self.temperature_ = fit_temperature(fused, gold[rows])
        return self

    def _unsure(self, ngram_proba: np.ndarray) -> np.ndarray:
        return ngram_proba.max(1) < self.ngram_sure

    def embeds(self, X, ngram_logits: np.ndarray | None = None) -> np.ndarray:
        """Which texts :meth:`predict_proba` embeds: those the n-grams are not sure of (none
        without an embedding model)."""
        if getattr(self, "embedding_model_", None) is None:
            return np.zeros(len(list(X)), dtype=bool)
        return self._unsure(self.predict_proba_ngrams(X, ngram_logits))

    def ngram_logits(self, X) -> np.ndarray:
        """The n-gram model's raw logits (reusable: a one-page document's are its page's)."""
        import sklearn

        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            return self.model_.decision_function(self._features(list(X)))

    def decision_function(
        self, X, embeddings: np.ndarray | None = None, ngram_logits: np.ndarray | None = None
    ) -> np.ndarray:
        """Logits: the n-gram model's, or the weighted sum of the three models' log-probabilities;
        ``ngram_logits`` (from :meth:`ngram_logits` of the same texts) saves computing them again."""
        X = list(X)
        logits = self.ngram_logits(X) if ngram_logits is None else ngram_logits
        if getattr(self, "embedding_model_", None) is None:
            return logits
        return _fuse(self.log_probas(X, embeddings, logits), *self.fusion_weights_)

    def log_probas(
        self, X, embeddings: np.ndarray | None = None, ngram_logits: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The three models' log-probabilities (n-grams, head embedding, title embedding), unfused."""
        X = list(X)
        logits = self.ngram_logits(X) if ngram_logits is None else ngram_logits
        emb = self._embeddings(X, embeddings)
        if emb is None:
            raise ValueError("this model reads embeddings: give it its encoder or the embeddings")
        heads, titles = np.hsplit(emb, 2)
        dense = self.embedding_model_.predict_log_proba(heads)
        title = self.title_model_.predict_log_proba(titles)
        return log_softmax(logits, axis=1), dense, title

    def predict_proba_ngrams(self, X, ngram_logits: np.ndarray | None = None) -> np.ndarray:
        """The n-gram model's calibrated probabilities alone: cheap enough for every page."""
        logits = self.ngram_logits(X) if ngram_logits is None else ngram_logits
        return softmax(logits / self.ngram_temperature_)

    def predict_proba(
        self, X, embeddings: np.ndarray | None = None, ngram_logits: np.ndarray | None = None
    ) -> np.ndarray:
        """Calibrated probabilities: the n-grams' where they are sure, the fused model's elsewhere
        (only those documents are embedded; ``embeddings``, when given, has a row for every text)."""
        X = list(X)
        logits = self.ngram_logits(X) if ngram_logits is None else ngram_logits
        if getattr(self, "embedding_model_", None) is None:
            return softmax(logits / self.temperature_)
        proba = softmax(logits / self.ngram_temperature_)
        rows = np.flatnonzero(self._unsure(proba))
        if len(rows):
            emb = None if embeddings is None else embeddings[rows]
            fused = self.decision_function([X[i] for i in rows], emb, logits[rows])
            proba[rows] = softmax(fused / self.temperature_)
        return proba

    def predict(self, X, embeddings: np.ndarray | None = None) -> np.ndarray:
        return self.classes_[self.predict_proba(X, embeddings).argmax(1)]


def _fuse(parts: tuple[np.ndarray, np.ndarray, np.ndarray], w: float, t: float) -> np.ndarray:
    ngram, dense, title = parts
    return (1 - w) * ngram + w * dense + t * title


#: (head, title) embedding weights :func:`choose_fusion_weights` tries, the defaults first (kept on a
#: tie); head weight 0 (the n-grams with the title line's model, or alone) since 2026-12-06
FUSION_GRID = [(w, t) for w in (0.7, 0.3, 0.5, 1.0, 1.5, 0.0) for t in (0.5, 0.0, 0.25, 0.75, 1.0)]


def choose_fusion_weights(
    params: dict, texts: list[str], labels: list[str], embeddings: np.ndarray, groups: list[int]
) -> tuple[tuple[float, float], dict[tuple[float, float], float]]:
    """The fusion weights that type unseen wording best: leave one group (template family) out
    at a time, fit a :class:`DocTypeClassifier` with ``params`` on the rest, fuse its three models'
    log-probabilities on the group left out with every weight pair of :data:`FUSION_GRID`, and keep
    the pair with the best macro-F1 over all groups together. Groups below 0 (reviewers'
    corrections) are always trained on. Returns the pair and every pair's macro-F1."""
    from sklearn.metrics import f1_score

    groups_ = np.asarray(groups)
    labels_ = np.asarray(labels)
    parts, gold = [], []
    for g in sorted(set(groups_[groups_ >= 0].tolist())):
        train, test = np.flatnonzero(groups_ != g), np.flatnonzero(groups_ == g)
        clf = DocTypeClassifier(**params).fit([texts[i] for i in train], labels_[train], embeddings=embeddings[train])
        fused = clf.log_probas([texts[i] for i in test], embeddings[test])
        parts.append((clf.classes_, fused))
        gold += labels_[test].tolist()
    scores = {}
    for w, t in FUSION_GRID:
        pred = [c for classes, fused in parts for c in classes[_fuse(fused, w, t).argmax(1)]]
        scores[(w, t)] = float(f1_score(gold, pred, average="macro"))
    best = max(FUSION_GRID, key=lambda wt: scores[wt])  # the first of equals: the defaults on a tie
    return best, scores
