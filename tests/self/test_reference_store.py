"""The reference store and its seeding: uniqueness, paging equal to a plain query, cache
invalidation, persistence across reopening, deterministic seeds, config files."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from optout_conformance.apis.avaamo.store import AvaamoStore
from optout_conformance.apis.convoso.store import ConvosoStore, convoso_rows
from optout_conformance.apis.whatcounts.store import WhatCountsStore
from optout_conformance.core.errors import ConfigError, UsageError
from optout_conformance.reference.config import ReferenceConfig, load_config_file
from optout_conformance.reference.seed import fictional_number, seed
from optout_conformance.reference.store import DuplicateRecord, Store

FIXED_NOW = datetime(2026, 3, 3, 12, 0, 0, tzinfo=UTC)
CONFIG = ReferenceConfig(now=lambda: FIXED_NOW)


@pytest.fixture
def store(tmp_path: Path) -> ConvosoStore:
    opened = Store(str(tmp_path / "store.db"))
    seed(opened, CONFIG, 600)
    return ConvosoStore(opened)


def test_a_duplicate_key_is_refused_by_the_database(store: ConvosoStore) -> None:
    store.insert_convoso("2125550101", "1", 111, "", "", "2026-03-03 12:00:00")
    with pytest.raises(DuplicateRecord):
        store.insert_convoso("2125550101", "1", 111, "x", "y", "2026-03-03 12:00:01")
    store.insert_convoso("2125550101", "1", 222, "", "", "2026-03-03 12:00:00")


def test_an_update_onto_an_existing_key_is_refused(store: ConvosoStore) -> None:
    first = store.insert_convoso("2125550102", "1", 111, "", "", "2026-03-03 12:00:00")
    second = store.insert_convoso("2125550103", "1", 111, "", "", "2026-03-03 12:00:00")
    with pytest.raises(DuplicateRecord):
        store.update_convoso(second, {"phone_number": "2125550102"})
    assert store.get_convoso(first) is not None


@pytest.mark.parametrize(
    "where",
    [
        ("", []),
        ("campaign_id = ?", [0]),
        ("reason = ''", []),
        ("purpose != ''", []),
        ("phone_code = ?", ["44"]),
    ],
)
def test_pages_equal_a_plain_offset_query(store: ConvosoStore, where: tuple[str, list[object]]) -> None:
    plain = sqlite3.connect(store.store.path)
    clause = f" WHERE {where[0]}" if where[0] else ""
    for offset in (0, 7, 299, 599):
        expected = [
            row[0]
            for row in plain.execute(
                f"SELECT id FROM convoso_records{clause} ORDER BY id LIMIT 50 OFFSET ?", (*where[1], offset)
            )
        ]
        assert [record.id for record in store.page_convoso(where, offset, 50)] == expected


def test_unfiltered_pages_stay_right_when_ids_have_gaps(store: ConvosoStore) -> None:
    plain = sqlite3.connect(store.store.path)
    plain.execute("DELETE FROM convoso_records WHERE id BETWEEN 10 AND 20")
    plain.commit()
    assert store.count_convoso() == 589
    assert [record.id for record in store.page_convoso(("", []), 5, 10)] == [
        6,
        7,
        8,
        9,
        21,
        22,
        23,
        24,
        25,
        26,
    ]


def test_counts_follow_every_write(store: ConvosoStore) -> None:
    before = store.count_convoso(("campaign_id = ?", [111]))
    store.insert_convoso("2125550104", "1", 111, "", "", "2026-03-03 12:00:00")
    assert store.count_convoso(("campaign_id = ?", [111])) == before + 1


def test_reopening_the_file_keeps_every_record(tmp_path: Path) -> None:
    path = str(tmp_path / "keep.db")
    with Store(path) as first:
        seed(first, CONFIG, 100)
        ConvosoStore(first).insert_convoso("2125550105", "1", 0, "", "", "2026-03-03 12:00:00")
        WhatCountsStore(first).add_whatcounts_stop("12125550105", "120162701555", "reference",
                                                   "2026-03-03 12:00:00")
    with Store(path) as second:
        assert ConvosoStore(second).count_convoso() == 101
        assert AvaamoStore(second).count_avaamo() == 100
        assert len(WhatCountsStore(second).whatcounts_stops()) == 1
        assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_same_n_and_clock_give_the_same_data() -> None:
    assert list(convoso_rows(CONFIG, 500)) == list(convoso_rows(CONFIG, 500))


def test_seeded_numbers_are_fictional_and_never_the_checks_range() -> None:
    numbers = [fictional_number(index) for index in range(0, 100_000, 7)]
    assert all(number[3:6] == "555" and number[6:8] != "01" for number in numbers)
    assert len(set(numbers)) == len(numbers)


def test_seeded_records_cover_every_campaign_blank_and_filled_fields() -> None:
    rows = list(convoso_rows(CONFIG, 400))
    assert {row[2] for row in rows} == {0, -1, 111, 222}
    assert all(row[4] for row in rows if row[2] == -1)
    for column in (3, 4):
        assert any(row[column] == "" for row in rows if row[2] != -1)
        assert any(row[column] != "" for row in rows)
    assert len({row[5][:10] for row in rows}) >= 10


def test_config_file_values_are_read_from_toml(tmp_path: Path) -> None:
    file = tmp_path / "reference.toml"
    file.write_text('[reference]\nprofile = "official"\nsender_codes = ["1", "2"]\nseed_records = 10\n')
    assert load_config_file(file) == {"profile": "official", "sender_codes": ("1", "2"), "seed_records": 10}


def test_config_file_with_an_unknown_key_or_bad_toml_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "reference.toml"
    file.write_text('tokn = "x"\n')
    with pytest.raises(ConfigError, match="unknown key"):
        load_config_file(file)
    file.write_text("profile = \n")
    with pytest.raises(ConfigError):
        load_config_file(file)
    with pytest.raises(ConfigError, match="not found"):
        load_config_file(tmp_path / "missing.toml")


def test_a_file_database_commits_with_synchronous_full(store: ConvosoStore) -> None:
    assert store.store.fetchone("PRAGMA synchronous")[0] == 2  # FULL
    assert store.store.fetchone("PRAGMA journal_mode")[0] == "wal"


@pytest.mark.parametrize(("name", "prepare", "message"), [
    ("missing/store.db", None, "directory"),
    ("adir", "dir", "it is a directory"),
    ("notes.txt", "text", "not an SQLite database"),
])
def test_a_database_path_that_cannot_be_used_is_one_usage_error(
        tmp_path: Path, name: str, prepare: str | None, message: str) -> None:
    path = tmp_path / name
    if prepare == "dir":
        path.mkdir()
    elif prepare == "text":
        path.write_text("not a database at all\n")
    with pytest.raises(UsageError, match=message):
        Store(str(path))
    if prepare == "text":
        assert path.read_text() == "not a database at all\n"


def test_reference_config_values_are_typed_and_range_checked(tmp_path: Path) -> None:
    file = tmp_path / "ref.toml"
    for line, message in (("token = 5", "token must be a string"),
                          ("seed_records = -3", "seed_records must be an integer >= 0"),
                          ("sender_codes = [true]", "sender_codes must be a string or an integer")):
        file.write_text(f"[reference]\n{line}\n")
        with pytest.raises(ConfigError, match=message):
            load_config_file(file)
    file.write_text("[reference]\nsender_codes = [120162701555, \"120162701556\"]\n")
    assert load_config_file(file)["sender_codes"] == ("120162701555", "120162701556")
