"""db/schema.sql documents the bank; it must match what a build writes."""

from pathlib import Path

from phraser.bank import schema_sql
from phraser.build import build

ROOT = Path(__file__).resolve().parent.parent


def test_schema_file_matches_a_fresh_bank(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text("高度重视，狠抓落实。\n高度重视，狠抓落实。\n", "utf-8")
    bank = tmp_path / "bank.sqlite"
    build([tmp_path / "c"], bank)
    documented = (ROOT / "db" / "schema.sql").read_text(encoding="utf-8")
    body = "".join(line + "\n" for line in documented.splitlines() if not line.startswith("--"))
    assert body == schema_sql(bank)
