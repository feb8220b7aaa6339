"""Reads that do not grow with the collection (SPEC §3.3), shown with DynamoDB's ScannedCount
on a few thousand images of one owner."""

import functools
import os
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from imageapi.adapters.dynamodb import DynamoImageRepository
from imageapi.context import dynamodb_client
from imageapi.domain.cursors import CursorCodec
from imageapi.domain.ids import new_image_id
from imageapi.domain.models import ImageRecord, ImageStatus

# The module fixture bulk-loads thousands of images: one worker loads them once (tests/harness/scheduling.py).

OWNER = "collector"
TOTAL = int(os.environ.get("READ_COST_IMAGES", "2000"))
WORDS = ["harbour", "sunset", "portrait", "street", "forest", "mountain", "beach", "market", "bridge", "river"]


@pytest.fixture(scope="module")
def table(aws: Any, moto_endpoint: str) -> str:
    """A table of this module's own, declared as template.yaml declares the image table: the tens
    of thousands of items loaded here would otherwise make every other test's Scan of the
    handlers' table (test_lifecycle.table_items) read through them."""
    from local import REPO_ROOT
    from local.aws import create_resources
    from local.template import load

    template = load(REPO_ROOT / "template.yaml", aws_url=moto_endpoint, name_prefix="test-read-cost")
    for spec in template.tables.values():
        # Reads are what is measured here: the events stream (a record for every one of the tens of
        # thousands of writes, kept in moto's memory) plays no part in them.
        spec.stream_view_type = None
    return next(iter(create_resources(moto_endpoint, template).tables.values())).name


@pytest.fixture(scope="module")
def seed(local_aws: Any, table: str) -> Any:
    """How the fixtures bulk-load: the repository's loader, its items stored by the endpoint in
    this process (the reads measured here still go through HTTP; test_a_trash_page_reads_limit_plus_one
    loads through BatchWriteItem)."""
    return functools.partial(local_aws.put_items, table)


@pytest.fixture(scope="module")
def repository(table: str, seed: Any) -> DynamoImageRepository:
    repo = DynamoImageRepository(dynamodb_client(), table, CursorCodec("read-cost-test-secret"))
    rng = random.Random(7)
    now = datetime.now(UTC)
    records = []
    for n in range(TOTAL):
        title = f"{rng.choice(WORDS)} {n:04d}"
        if n % 200 == 0:
            title = f"zebra crossing {n:04d}"  # rare matches spread over the collection
        record = ImageRecord(
            id=new_image_id(1_700_000_000_000 + n),
            owner=OWNER,
            title=title,
            status=ImageStatus.ready if n % 2 else ImageStatus.pending,
            content_type="image/jpeg",
            declared_bytes=1,
            created_at=now,
            updated_at=now,
        )
        records.append(record)
    repo.bulk_load(records, write=seed)
    return repo


def test_a_list_page_reads_limit_plus_one(repository: DynamoImageRepository) -> None:
    cursor = None
    for _ in range(3):
        page = repository.list_page(OWNER, limit=25, cursor=cursor, status=None, query=None)
        assert len(page.records) == 25 and page.scanned <= 26
        cursor = page.next_cursor
    by_status = repository.list_page(OWNER, limit=25, cursor=None, status=ImageStatus.ready, query=None)
    assert all(r.status is ImageStatus.ready for r in by_status.records) and by_status.scanned <= 26


def test_a_title_search_reads_in_proportion_to_its_matches(repository: DynamoImageRepository) -> None:
    page = repository.list_page(OWNER, limit=20, cursor=None, status=None, query="zebra")
    assert [r.title.split()[0] for r in page.records] == ["zebra"] * (TOTAL // 200)
    assert page.next_cursor is None
    assert page.scanned <= 3 * (TOTAL // 200) + 20, page.scanned
    assert page.scanned < TOTAL / 20


def test_a_search_for_a_trigram_in_no_title_reads_only_the_counts(repository: DynamoImageRepository) -> None:
    page = repository.list_page(OWNER, limit=20, cursor=None, status=None, query="no such title")
    assert page.records == [] and page.next_cursor is None
    assert page.scanned <= len("no such title") - 2


def test_a_short_query_reads_a_bounded_amount_per_request(repository: DynamoImageRepository) -> None:
    from imageapi.adapters.dynamodb.reads import SHORT_QUERY_SCAN_PAGES

    page = repository.list_page(OWNER, limit=10, cursor=None, status=None, query="qz")
    assert page.records == []
    assert page.scanned <= SHORT_QUERY_SCAN_PAGES * 11
    assert page.next_cursor, "a short page says where to continue"
    rest = repository.list_page(OWNER, limit=10, cursor=page.next_cursor, status=None, query="qz")
    assert rest.scanned <= SHORT_QUERY_SCAN_PAGES * 11
    found = repository.list_page(OWNER, limit=5, cursor=None, status=None, query="a 0")
    assert all("a 0" in r.title for r in found.records)


def test_a_common_word_search_pages_with_bounded_reads(repository: DynamoImageRepository) -> None:
    page = repository.list_page(OWNER, limit=10, cursor=None, status=None, query="sunset")
    assert len(page.records) == 10 and all("sunset" in r.title for r in page.records)
    assert page.scanned <= 3 * 10 + 10, page.scanned
    second = repository.list_page(OWNER, limit=10, cursor=page.next_cursor, status=None, query="sunset")
    assert not {r.id for r in page.records} & {r.id for r in second.records}
    assert [r.id for r in page.records + second.records] == sorted(
        (r.id for r in page.records + second.records), reverse=True
    )


def test_a_trash_page_reads_limit_plus_one(table: str) -> None:
    from datetime import timedelta

    from imageapi.adapters.dynamodb.trash import DynamoTrash

    owner = "trash-collector"
    codec = CursorCodec("read-cost-test-secret")
    repo, trash = DynamoImageRepository(dynamodb_client(), table, codec), DynamoTrash(dynamodb_client(), table, codec)
    now = datetime.now(UTC)
    records = [
        ImageRecord(
            id=new_image_id(1_700_000_000_000 + n),
            owner=owner,
            title=f"item {n}",
            status=ImageStatus.ready,
            content_type="image/jpeg",
            declared_bytes=1,
            created_at=now,
            updated_at=now,
        )
        for n in range(100)  # 60 to the trash, 40 stay: enough for two trash pages and a live one
    ]
    repo.bulk_load(records)
    for n, record in enumerate(records[:60]):  # the 10 oldest deletions are past their window
        deleted = now - timedelta(days=40 if n < 10 else 1, seconds=-n)
        assert trash.trash(record, deleted_at=deleted, purge_at=deleted + timedelta(days=30))
    page = trash.list_trash(owner, limit=20, cursor=None, query=None, now=now)
    assert [t.record.id for t in page.items] == [r.id for r in reversed(records[40:60])] and page.scanned <= 21
    second = trash.list_trash(owner, limit=20, cursor=page.next_cursor, query=None, now=now)
    assert len(second.items) == 20 and second.scanned <= 21
    live = repo.list_page(owner, limit=25, cursor=None, status=None, query=None)
    assert (
        len(live.records) == 25
        and live.scanned <= 26
        and {r.id for r in live.records}.isdisjoint(r.id for r in records[:60])
    )


@pytest.fixture(scope="module")
def numbered(repository: DynamoImageRepository, seed: Any) -> str:
    """Issue #15's case: titles 'photo 00001'..'photo 02000' of another owner, created in order."""
    owner = "numbered"
    now = datetime.now(UTC)
    repository.bulk_load(
        [
            ImageRecord(
                id=new_image_id(1_700_000_000_000 + n),
                owner=owner,
                title=f"photo {n:05d}",
                status=ImageStatus.ready,
                content_type="image/jpeg",
                declared_bytes=1,
                created_at=now,
                updated_at=now,
            )
            for n in range(1, 2001)
        ],
        write=seed,
    )
    return owner


def test_common_trigrams_rare_together_read_in_proportion_to_matches(
    repository: DynamoImageRepository, numbered: str
) -> None:
    """'00015': '000', '001' and '015' are each in over a hundred titles, all three only in one
    (a zig-zag join of the partitions, not a read of the rarest one)."""
    from imageapi.domain.search import trigrams

    counts = repository._gram_counts(numbered, trigrams("00015"))
    assert min(counts.values()) > 100, counts
    page = repository.list_page(numbered, limit=20, cursor=None, status=None, query="00015")
    assert [r.title for r in page.records] == ["photo 00015"] and page.next_cursor is None
    assert page.scanned <= 3 * len(page.records) + 20, page.scanned
    other = repository.list_page(OWNER, limit=20, cursor=None, status=None, query="00015")
    assert other.records == [], "another owner's titles are not searched"


def test_a_zig_zag_search_pages_and_filters_by_status(repository: DynamoImageRepository) -> None:
    """Ready images (odd numbers) whose title holds '199', three a page, newest first, then no cursor."""
    expected = [n for n in range(TOTAL - 1, -1, -1) if n % 2 and "199" in f"{n:04d}"]
    assert len(expected) > 3
    seen: list[int] = []
    cursor = None
    for _ in range(len(expected)):
        page = repository.list_page(OWNER, limit=3, cursor=cursor, status=ImageStatus.ready, query="199")
        assert all(r.status is ImageStatus.ready for r in page.records)
        seen += [int(r.title.split()[-1]) for r in page.records]
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == expected


def test_a_long_query_with_a_small_rarest_partition_reads_it_whole(repository: DynamoImageRepository) -> None:
    page = repository.list_page(OWNER, limit=20, cursor=None, status=None, query="zebra crossing")
    assert len(page.records) == TOTAL // 200 and all(r.title.startswith("zebra crossing") for r in page.records)
    grams = len("zebra crossing") - 2
    assert page.scanned <= grams + 2 * (TOTAL // 200), page.scanned  # counts, the partition, the records
