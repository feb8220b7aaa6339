"""Title search without scanning: a trigram index kept in the images table.

Each image writes one small item per distinct trigram of its lowercased title. A search reads
the partition of the query's rarest-looking trigram only, so its cost follows the matches of
that trigram, not the size of the owner's collection.
"""

# Rough English letter frequency, most common first; digits and symbols count as rare.
_COMMON = "etaoinshrdlcumwfgypbvkjxqz"
_RANK = {ch: i for i, ch in enumerate(_COMMON)}


def normalise(text: str) -> str:
    return " ".join(text.casefold().split())


def trigrams(text: str) -> set[str]:
    text = normalise(text)
    return {text[i : i + 3] for i in range(len(text) - 2)}


def rarest_trigram(query: str) -> str | None:
    """The trigram of ``query`` least likely to be common; None when the query is shorter."""
    grams = trigrams(query)
    if not grams:
        return None

    def commonness(gram: str) -> int:
        # Lower is rarer. Spaces are very common in titles.
        return sum(-1 if ch not in _RANK else (30 if ch == " " else 26 - _RANK[ch]) for ch in gram)

    return min(sorted(grams), key=commonness)
