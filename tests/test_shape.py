"""Look-alike (形近字) slips: the shape table built into the bank, and its use by
`suggest` and `check` (real banks, real shape data, no mocks)."""

from __future__ import annotations

import json

import pytest

from cli import cli
from phraser.bank import Bank
from phraser.check import check_text
from phraser.index import Index
from phraser.shape import common_characters, look_alikes

#: Classic 形近字 pairs (wrong, right) that the shape table must know.
CLASSIC = [("已", "己"), ("己", "已"), ("侍", "待"), ("末", "未"), ("拔", "拨"), ("侯", "候")]
CLASSIC += [("戍", "戌"), ("辩", "辫"), ("觉", "党"), ("攻", "政")]
#: Correct text full of characters with look-alikes (己已巳, 未末, 待侍, 拨拔, 候侯 …).
CORRECT = (
    "我们自己已经看到，未来五年是关键时期，期待各级党委政府主动作为。\n"
    "任何时候都要加强党风廉政建设，拨付资金要及时到位，末端落实要抓细抓实。\n"
    "要把选拔任用干部作为重要任务，等候群众评判，切实做到令行禁止。\n"
)


def run(runner, *args):
    return runner.invoke(cli, [str(a) for a in args])


def test_classic_look_alikes_are_known():
    table = look_alikes({right for _wrong, right in CLASSIC})
    for wrong, right in CLASSIC:
        assert right in table.get(wrong, ""), (wrong, right)


def test_unrelated_shapes_are_not_look_alikes():
    table = look_alikes("高低人民国家")
    assert "低" not in table.get("高", "") and "民" not in table.get("人", "")
    everyday = set(common_characters(level=1))
    assert all(w in everyday and set(rights) <= set("高低人民国家") for w, rights in table.items())


def test_the_bank_carries_the_table(bundled_bank):
    bank = Bank(bundled_bank)
    assert "党" in bank.look_alikes("觉")["觉"]
    assert bank.look_alikes("，a") == {}


def test_suggest_fixes_a_look_alike(runner, bundled_bank):
    result = run(runner, "suggest", "--db", bundled_bank, "--json", "要加强觉风廉政建设")
    assert result.exit_code == 0, result.output
    top = json.loads(result.stdout.splitlines()[0])["suggestions"][0]
    assert (top["text"], top["match"]) == ("党风廉政建设", "typo")
    assert (top["why"], top["rewrite"]) == ("觉→党 (look-alike)", "要加强党风廉政建设")


def test_check_flags_a_look_alike_with_its_fix(runner, bundled_bank, tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text("各级党委要切实加强觉风廉政建设，确保各项工作落到实处。\n", "utf-8")
    result = run(runner, "check", "--db", bundled_bank, "--json", draft)
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    assert [(f["level"], f["wrong"], f["right"], f["why"]) for f in findings] == [
        ("typo", "觉风廉政建设", "党风廉政建设", "觉→党, look-alike")
    ]
    fixed = run(runner, "check", "--db", bundled_bank, "--fix", draft)
    assert fixed.exit_code == 1
    assert "加强党风廉政建设" in (tmp_path / "draft.fixed.txt").read_text("utf-8")


@pytest.mark.parametrize("bank_name", ["bundled_bank", "small_bank"])
def test_correct_text_with_look_alike_prone_characters_is_clean(bank_name, request):
    index = Index.load(Bank(request.getfixturevalue(bank_name)))
    assert [f for f in check_text(CORRECT, index) if f.level == "typo"] == []
