"""Third-party files (../shared/conformance, see its README): every one is read without a crash — imported, or
refused with a clear reason — and our GIFT reading agrees with the gift-pegjs parser on the basics."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.errors import DomainError
from app.questions import importing
from tests.conftest import require_or_skip

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"
PEG_TYPES = {"MC": {"single_choice", "multiple_choice"}, "TF": {"true_false"}, "Short": {"fill_blank"},
             "Numerical": {"numerical"}, "Matching": {"matching"}, "Essay": {"essay"},
             "Description": {"description"}}


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file())


def read(path: Path):
    """(report or None, refusal message or None)."""
    try:
        return importing.import_file(path.name, path.read_bytes(), bank_key="conformance", dry_run=True), None
    except DomainError as exc:
        return None, exc.message


def test_conformance_corpus_shared_every_file_is_read_or_refused_clearly(app):
    require_or_skip(CORPUS.is_dir(), f"conformance corpus not found at {CORPUS}")
    files = corpus_files()
    assert len(files) > 100
    for path in files:
        report, refusal = read(path)
        relative = path.relative_to(CORPUS).as_posix()
        if refusal is not None:
            assert len(refusal) > 5, relative
            continue
        assert report.questions or report.errors, relative
        for error in report.errors:
            assert ("line" in error or "row" in error) and error["message"], relative
        if relative.endswith(".gift") or relative == "gift/examples.txt":
            # Category-only snippets hold no question; everything else is imported without an error.
            assert report.errors == [] or (not report.questions and "没有找到试题" in report.errors[0]["message"]), \
                (relative, report.errors)
            assert report.format == "gift", relative
        if relative.startswith(("qti21/", "qti30/")) and relative.endswith((".xml", ".zip")):
            # Imported, or refused naming the interaction we have no type for (test_qti_import checks types).
            assert report.format == "qti", relative
            assert report.questions or "QTI 交互" in report.errors[0]["message"], relative
    xml = {p.name: read(p)[0] for p in (CORPUS / "moodlexml").glob("*.xml")}
    assert xml["multichoice.xml"].ok and xml["truefalse.xml"].ok
    sample = xml["sample_questions_with_old_image_tag.xml"]
    assert sample.ok and sample.questions and "Cloze" in sample.warnings[0]


def _peg_numbers(item) -> list[tuple]:
    choices = item["choices"]
    if isinstance(choices, dict):
        choices = [{"isCorrect": True, "weight": None, "text": choices}]
    out = []
    for choice in choices:
        text = choice["text"]
        if "number" in text:
            mid, tol = text["number"], text.get("range", 0)
        elif "numberHigh" in text:
            mid, tol = (text["numberHigh"] + text["numberLow"]) / 2, (text["numberHigh"] - text["numberLow"]) / 2
        else:
            # "*": Moodle's any-other-answer, worth nothing, kept with its feedback.
            assert text["text"] == "*"
            out.append(("*", None, 0.0, (choice.get("feedback") or {}).get("text", "")))
            continue
        weight = choice["weight"] / 100 if choice["weight"] is not None else 1.0
        out.append((round(float(mid), 6), round(float(tol), 6), weight, None))
    return out


def test_conformance_corpus_shared_gift_agrees_with_gift_pegjs(app):
    folder = CORPUS / "gift" / "gift-pegjs"
    require_or_skip(folder.is_dir(), f"gift-pegjs samples not found at {folder}")
    compared = 0
    for expected_file in sorted(folder.glob("*.json")):
        gift = expected_file.with_suffix(".gift")
        if not gift.exists():
            continue
        expected = [q for q in json.loads(expected_file.read_text("utf-8")) if q["type"] != "Category"]
        parsed = importing.parse(gift.name, gift.read_bytes(), "gift")
        assert parsed.errors == [], gift.name
        assert len(parsed.questions) == len(expected), gift.name
        for peg, ours in zip(expected, parsed.questions):
            where = f"{gift.name}: {peg.get('title')}"
            assert ours["type"] in PEG_TYPES[peg["type"]], where
            assert ours["name"] == (peg.get("title") or ""), where
            assert ours["id_number"] == peg.get("id") and ours["tags"] == (peg.get("tags") or []), where
            if peg["type"] in ("MC", "Short"):
                weights = [c["weight"] / 100 if c["weight"] is not None else (1.0 if c["isCorrect"] else 0.0)
                           for c in peg["choices"]]
                assert [round(a["fraction"], 6) for a in ours["answers"]] == [round(w, 6) for w in weights], where
            elif peg["type"] == "Numerical":
                assert [("*", None, a["fraction"], a["feedback"]) if a["text"] == "*" else
                        (round(float(a["text"]), 6), round(a["tolerance"], 6), a["fraction"], None)
                        for a in ours["answers"]] == _peg_numbers(peg), where
            elif peg["type"] == "TF":
                # The truth value agrees; feedback order deliberately follows Moodle, not gift-pegjs.
                assert (ours["answers"][0]["fraction"] == 1.0) is peg["isTrue"], where
            elif peg["type"] == "Matching":
                assert len(ours["pairs"]) == len(peg["matchPairs"]), where
            compared += 1
    assert compared > 50


@pytest.mark.parametrize("name", ["TFTwoFeedback.gift"])
def test_conformance_corpus_shared_true_false_feedback_follows_moodle(app, name):
    path = CORPUS / "gift" / "gift-pegjs" / name
    require_or_skip(path.exists(), f"{path} not found")
    first = importing.parse(name, path.read_bytes(), "gift").questions[0]
    # {FALSE#feedback for true #feedback for false}: the first is for the wrong answer (answering true).
    assert first["answers"][0] == {"text": "True", "fraction": 0.0, "feedback": "feedback for true", "tolerance": None}
    assert first["answers"][1]["feedback"] == "feedback for false"


def _question_files(folder: Path) -> list[Path]:
    """The question files of a corpus folder: what the GIFT and Moodle XML formats read (.gift, .txt, .xml).
    The gift-pegjs ``.json`` files are that parser's expected output (compared above), not question files."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in (".gift", ".txt", ".xml"))


@pytest.mark.parametrize("folder", ["gift", "moodlexml"])
def test_shared_conformance_corpus_no_gift_or_moodle_xml_file_fails_as_a_whole(app, folder):
    """Every GIFT and Moodle XML file written by others is imported for real (written to a bank): a question
    we cannot take is skipped with a warning, but no file is refused or rolled back as a whole."""
    root = CORPUS / folder
    if not root.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the shared conformance corpus is required on CI: {root} not found")
        pytest.skip(f"shared conformance corpus not found at {root}")
    files = _question_files(root)
    assert files, root
    for index, path in enumerate(files):
        where = path.relative_to(CORPUS).as_posix()
        try:
            report = importing.import_file(path.name, path.read_bytes(), bank_key=f"corpus-{folder}-{index}")
        except DomainError as exc:
            pytest.fail(f"{where} refused as a whole: {exc.message}")
        if not report.questions and report.errors and "没有找到试题" in report.errors[0]["message"]:
            continue  # a category-only snippet holds no question
        assert report.errors == [], (where, report.errors)
        assert report.imported > 0, where  # (a question repeated in the file is imported once, with a warning)
        assert report.format == folder, where
