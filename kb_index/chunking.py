"""Split an article into passages: by headings, then by sentences, with overlap."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from kb_index.loading import Article

HEADING = re.compile(r"^(#{1,6})\s+(.*)$", re.MULTILINE)


# Passage kinds: article text (quoted to customers) and a customer question from the front matter
# (matched against, never quoted).
TEXT, QUESTION = "text", "question"


@dataclass(frozen=True)
class Chunk:
    article_id: str
    section: str
    text: str
    kind: str = TEXT


@lru_cache(maxsize=1)
def sentencizer():  # noqa: ANN201 (spaCy's Language, imported lazily)
    """spaCy's blank English pipeline with its rule-based sentencizer: no pretrained model needed
    offline. Also splits a customer's long message (bot/actions/understanding/sentences.py)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def split_sections(body: str) -> list[tuple[str, str]]:
    """(heading, text) pairs; text before the first heading gets the heading ''."""
    sections: list[tuple[str, str]] = []
    last_end, last_title = 0, ""
    for match in HEADING.finditer(body):
        sections.append((last_title, body[last_end : match.start()].strip()))
        last_title, last_end = match.group(2).strip(), match.end()
    sections.append((last_title, body[last_end:].strip()))
    return [(title, text) for title, text in sections if text]


def _sentences(text: str) -> list[str]:
    """Sentences in order; one that starts a new line (a step, a bullet) keeps a leading newline,
    so a passage shown to the customer keeps its list layout."""
    pieces: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        doc = sentencizer()(line)
        sentences = [s.text.strip() for s in doc.sents if s.text.strip()]
        pieces.extend(("\n" if i == 0 else "") + s for i, s in enumerate(sentences))
    return pieces


def _join(sentences: list[str]) -> str:
    return " ".join(sentences).replace(" \n", "\n").strip()


def chunk_article(article: Article, chunk_words: int, overlap_words: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section, text in split_sections(article.body):
        window: list[str] = []
        fresh = 0  # sentences in the window not yet part of an emitted chunk
        for sentence in _sentences(text):
            window.append(sentence)
            fresh += 1
            if sum(len(s.split()) for s in window) >= chunk_words:
                chunks.append(Chunk(article.id, section, _join(window)))
                # Carry the last sentences over so a step is never cut from its context;
                # never the whole window, so every chunk adds something new.
                tail: list[str] = []
                for s in reversed(window[1:]):
                    if sum(len(t.split()) for t in tail) + len(s.split()) > overlap_words:
                        break
                    tail.insert(0, s)
                window, fresh = tail, 0
        if fresh:
            chunks.append(Chunk(article.id, section, _join(window)))
    return chunks


def question_chunks(article: Article) -> list[Chunk]:
    """One passage per customer question listed in the article's front matter."""
    return [Chunk(article.id, "", question, QUESTION) for question in article.questions]


def passage_for_embedding(article: Article, chunk: Chunk) -> str:
    """The text that is embedded: title and section give the passage its topic."""
    prefix = article.title if not chunk.section else f"{article.title} — {chunk.section}"
    return f"{prefix}. {chunk.text}"
