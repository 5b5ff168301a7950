"""BERT's WordPiece tokenizer, read from a Hugging Face ``tokenizer.json``.

Reproduces what the ``tokenizers`` library does for an uncased BERT model (``BertNormalizer``,
``BertPreTokenizer``, ``WordPiece``, ``[CLS] ... [SEP]``), so the MiniLM encoder needs no extra
package in the engine's environment:

- normalise: drop control characters, turn any white space into a space, put spaces round CJK
  ideographs, strip accents (NFD, drop combining marks) and lower-case;
- split on white space, and make every punctuation character a word of its own;
- split each word greedily into the longest vocabulary pieces (``##`` marks a continuation);
  a word that cannot be split entirely (an emoji, a script the vocabulary lacks) becomes one
  ``[UNK]``.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

CLS, SEP, UNK = "[CLS]", "[SEP]", "[UNK]"
CONTINUATION = "##"
MAX_WORD_CHARS = 100
MAX_LENGTH = 128  # the checkpoint's tokenizer truncates here, special tokens included


def _is_control(char: str) -> bool:
    if char in "\t\n\r":
        return False
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn")


def _is_punctuation(char: str) -> bool:
    # ASCII symbols such as "$", "^" or "`" are not Unicode punctuation but BERT splits them too
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2B73F
        or 0x2B740 <= code <= 0x2B81F
        or 0x2B820 <= code <= 0x2CEAF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


def normalize(text: str) -> str:
    """BertNormalizer with clean_text, handle_chinese_chars, strip_accents and lowercase."""
    out = []
    for char in text:
        if char in ("\0", "\ufffd") or _is_control(char):
            continue
        if char.isspace():
            out.append(" ")
        elif _is_cjk(ord(char)):
            out.append(f" {char} ")
        else:
            out.append(char)
    decomposed = unicodedata.normalize("NFD", "".join(out))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


def pre_tokenize(text: str) -> list[str]:
    """Words split on white space, each punctuation character a word of its own."""
    words: list[str] = []
    for chunk in text.split():
        current = ""
        for char in chunk:
            if _is_punctuation(char):
                if current:
                    words.append(current)
                words.append(char)
                current = ""
            else:
                current += char
        if current:
            words.append(current)
    return words


class WordPiece:
    """Text to token ids: ``[CLS]`` + pieces + ``[SEP]``, at most ``max_length`` ids."""

    def __init__(self, vocabulary: dict[str, int], max_length: int = MAX_LENGTH) -> None:
        self.vocabulary = vocabulary
        self.max_length = max_length
        self.cls_id, self.sep_id, self.unk_id = vocabulary[CLS], vocabulary[SEP], vocabulary[UNK]
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def from_file(cls, path: Path) -> WordPiece:
        spec = json.loads(path.read_text(encoding="utf-8"))
        model = spec["model"]
        if model.get("type") != "WordPiece" or model.get("continuing_subword_prefix") != "##":
            raise ValueError(f"{path}: not a BERT WordPiece tokenizer")
        return cls({str(k): int(v) for k, v in model["vocab"].items()})

    def word_ids(self, word: str) -> list[int]:
        """Greedy longest-match-first pieces of one word, or ``[UNK]`` for all of it."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if len(word) > MAX_WORD_CHARS:
            return [self.unk_id]
        ids: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else CONTINUATION + word[start:end]
                found = self.vocabulary.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                ids = [self.unk_id]
                break
            ids.append(found)
            start = end
        if len(self._cache) < 100_000:  # customer vocabularies are small; bound it anyway
            self._cache[word] = ids
        return ids

    def ids(self, text: str) -> list[int]:
        pieces = [i for word in pre_tokenize(normalize(text)) for i in self.word_ids(word)]
        return [self.cls_id, *pieces[: self.max_length - 2], self.sep_id]

    def tokens(self, text: str) -> list[str]:
        """The pieces as strings (for tests and debugging)."""
        names = {v: k for k, v in self.vocabulary.items()}
        return [names[i] for i in self.ids(text)]
