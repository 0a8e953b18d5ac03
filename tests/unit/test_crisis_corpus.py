"""The crisis patterns measured on the labelled corpus in tests/data/crisis: every crisis
line found, at most 2% of everyday replies read as a crisis (``make crisis-report``
prints the same figures, with every miss and false alarm)."""

from __future__ import annotations

from pathlib import Path

from services.notifications.replies.crisis import crisis_language
from services.notifications.replies.crisis.corpus import everyday_replies, read_corpus
from services.notifications.replies.crisis.report import main as crisis_report

CORPUS = Path(__file__).resolve().parents[1] / "data" / "crisis"
PACKAGE_EVERYDAY = (
    Path(__file__).resolve().parents[2]
    / "services"
    / "notifications"
    / "replies"
    / "crisis"
    / "everyday.txt"
)
CRISIS_LINES = read_corpus(CORPUS / "crisis.txt")
EVERYDAY_LINES = read_corpus(CORPUS / "everyday.txt")


def test_the_corpus_is_large_enough_to_mean_something():
    assert len(CRISIS_LINES) >= 450 and len(EVERYDAY_LINES) >= 450
    assert len(set(CRISIS_LINES)) == len(CRISIS_LINES)
    assert len(set(EVERYDAY_LINES)) == len(EVERYDAY_LINES)


def test_the_everyday_replies_are_one_file_the_settings_api_reads_too():
    assert (CORPUS / "everyday.txt").is_symlink()
    assert (CORPUS / "everyday.txt").resolve() == PACKAGE_EVERYDAY.resolve()
    assert list(everyday_replies()) == EVERYDAY_LINES


def test_every_crisis_line_is_read_as_a_crisis():
    language = crisis_language()
    missed = [line for line in CRISIS_LINES if not language.mentions(line)]
    assert missed == []


def test_at_most_two_percent_of_everyday_replies_are_read_as_a_crisis():
    language = crisis_language()
    false_alarms = [line for line in EVERYDAY_LINES if language.mentions(line)]
    assert len(false_alarms) <= 0.02 * len(EVERYDAY_LINES), false_alarms


def test_every_category_is_in_the_crisis_lines():
    language = crisis_language()
    found = {name for line in CRISIS_LINES for name in language.categories_in(line)}
    assert {c.name for c in language.categories} <= found


def test_the_report_prints_the_figures_and_passes(capsys):
    assert crisis_report([str(CORPUS)]) == 0
    printed = capsys.readouterr().out
    assert "recall: 100.00%" in printed and "false alarms:" in printed


def test_the_report_names_every_miss_and_fails(tmp_path, capsys):
    (tmp_path / "crisis.txt").write_text("# a line no pattern knows\nI feel blue\n")
    (tmp_path / "everyday.txt").write_text("I want to die\n")
    assert crisis_report([str(tmp_path)]) == 1
    printed = capsys.readouterr().out
    assert "MISSED       'I feel blue'" in printed
    assert "FALSE ALARM  'I want to die'  [wish_to_die]" in printed
