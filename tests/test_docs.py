"""The README documents every command and starts with the two set-up commands."""

from pathlib import Path

import pytest

from cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_is_in_the_readme(name):
    assert f"phraser {name}" in README


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_with_an_example(name):
    assert "Example:" in (cli.commands[name].help or "")


def test_readme_starts_with_the_two_commands():
    block = README.split("```bash\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(block) == 2
    assert "python3 -m venv .venv" in block[0] and "phraser build" in block[0]
    assert "pytest" in block[1]
