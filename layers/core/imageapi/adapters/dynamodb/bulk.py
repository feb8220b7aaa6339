"""A bulk loader for migrations, benchmarks and tests that need thousands of images."""

from collections.abc import Callable
from typing import Any

from imageapi.adapters.dynamodb.items import _n, _s, gram_count_key, gram_pk, image_item
from imageapi.adapters.dynamodb.titles import TitleIndex
from imageapi.domain.models import ImageRecord
from imageapi.domain.search import normalise, trigrams

# Writes plain items (DynamoDB JSON) to the table, all or nothing raised.
ItemWriter = Callable[[list[dict[str, Any]]], None]


class BulkLoad(TitleIndex):
    def bulk_load(self, records: list[ImageRecord], write: ItemWriter | None = None) -> None:
        """Write records and their title index in batches, without quota accounting or
        conditions: for migrations, benchmarks and tests that need thousands of images.

        ``write`` takes the image and trigram items in place of BatchWriteItem: the local AWS
        endpoint, when it runs in this process, stores them without an HTTP round trip each
        (``LocalAwsServer.put_items``). The counts are still read and summed through the table."""
        items = [image_item(record) for record in records]
        counts: dict[tuple[str, str], int] = {}
        for record in records:
            for gram in trigrams(record.title):
                items.append(
                    {"pk": _s(gram_pk(record.owner, gram)), "sk": _s(record.id), "title": _s(normalise(record.title))}
                )
                counts[(record.owner, gram)] = counts.get((record.owner, gram), 0) + 1
        if write is not None:
            write(items)
        else:
            self._batch_write_all([{"PutRequest": {"Item": item}} for item in items])
        for owner in {owner for owner, _ in counts}:
            self._add_gram_counts(owner, {gram: n for (o, gram), n in counts.items() if o == owner})

    def _add_gram_counts(self, owner: str, added: dict[str, int]) -> None:
        """The counts read in batches and written back summed, unconditionally like the rest of a
        bulk load: about two requests per hundred trigrams instead of one update per trigram."""
        current = self._gram_counts(owner, set(added))
        self._batch_write_all(
            [
                {"PutRequest": {"Item": {**gram_count_key(owner, gram), "images": _n(current[gram] + n)}}}
                for gram, n in sorted(added.items())
            ]
        )
