"""Title search without scanning: a trigram index kept in the images table.

Each image writes one small item per distinct trigram of its lowercased title, and each trigram
partition keeps a count. A search reads the counts of the query's trigrams, then only the
partition of the rarest one (or nothing, when a trigram is in no title), so its cost follows the
matches, not the size of the owner's collection.
"""


def normalise(text: str) -> str:
    return " ".join(text.casefold().split())


def trigrams(text: str) -> set[str]:
    text = normalise(text)
    return {text[i : i + 3] for i in range(len(text) - 2)}
