"""A bulk loader for migrations, benchmarks and tests that need thousands of images."""

from typing import Any

from imageapi.adapters.dynamodb.items import _s, gram_pk, image_item
from imageapi.adapters.dynamodb.titles import TitleIndex
from imageapi.domain.models import ImageRecord
from imageapi.domain.search import normalise, trigrams


class BulkLoad(TitleIndex):
    def bulk_load(self, records: list[ImageRecord]) -> None:
        """Write records and their title index in batches, without quota accounting or
        conditions: for migrations, benchmarks and tests that need thousands of images."""
        items = [{"PutRequest": {"Item": image_item(record)}} for record in records]
        grams: list[dict[str, Any]] = []
        counts: dict[tuple[str, str], int] = {}
        for record in records:
            for gram in trigrams(record.title):
                item = {
                    "pk": _s(gram_pk(record.owner, gram)),
                    "sk": _s(record.id),
                    "title": _s(normalise(record.title)),
                }
                grams.append({"PutRequest": {"Item": item}})
                counts[(record.owner, gram)] = counts.get((record.owner, gram), 0) + 1
        for batch in (items, grams):
            self._batch_write_all(batch)
        for owner in {owner for owner, _ in counts}:
            self._count_grams(owner, {gram: n for (o, gram), n in counts.items() if o == owner})
