"""``make crisis-report``: how the crisis patterns read the labelled corpus.

``python -m services.notifications.replies.crisis.report [CORPUS_DIR]`` prints the recall on the
crisis lines, the false-alarm rate on the everyday replies, and every miss and every
false alarm (with the categories that fired). It exits non-zero when recall is below
100% or false alarms above 2%, the bars the unit tests hold the patterns to.
"""

from __future__ import annotations

import sys
from pathlib import Path

from services.notifications.replies.crisis.corpus import CRISIS_FILE, EVERYDAY_FILE, read_corpus
from services.notifications.replies.crisis.patterns import crisis_language

DEFAULT_CORPUS = Path("tests/data/crisis")
REQUIRED_RECALL = 1.0
MAX_FALSE_ALARMS = 0.02


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else DEFAULT_CORPUS
    language = crisis_language()
    crisis = read_corpus(folder / CRISIS_FILE)
    everyday = read_corpus(folder / EVERYDAY_FILE)
    missed = [line for line in crisis if not language.mentions(line)]
    alarms = [(line, language.categories_in(line)) for line in everyday]
    alarms = [(line, found) for line, found in alarms if found]
    recall = 1 - len(missed) / len(crisis) if crisis else 0.0
    false_alarm_rate = len(alarms) / len(everyday) if everyday else 0.0
    print(f"crisis patterns version {language.version}, {len(language.categories)} categories")
    print(f"recall: {recall:.2%} of {len(crisis)} crisis lines ({len(missed)} missed)")
    print(
        f"false alarms: {false_alarm_rate:.2%} of {len(everyday)} everyday replies ({len(alarms)})"
    )
    for line in missed:
        print(f"MISSED       {line!r}")
    for line, found in alarms:
        print(f"FALSE ALARM  {line!r}  [{', '.join(found)}]")
    return 0 if recall >= REQUIRED_RECALL and false_alarm_rate <= MAX_FALSE_ALARMS else 1


if __name__ == "__main__":
    sys.exit(main())
