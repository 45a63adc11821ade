"""The UI is Chinese first; every string must also exist in English."""
import glob
import os

from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_catalogued_string_has_an_english_translation():
    missing = []
    for path in glob.glob(os.path.join(ROOT, "app", "**", "en", "LC_MESSAGES", "messages.po"), recursive=True):
        with open(path, "rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
            if not all(strings) or message.fuzzy:
                missing.append(f"{os.path.relpath(path, ROOT)}: {message.id!r}")
    assert not missing, "untranslated:\n" + "\n".join(missing[:50])


def test_catalogues_are_up_to_date_with_the_source():
    """Strings in the code but not in a catalogue would show Chinese to English users silently."""
    from babel.messages.extract import extract_from_dir

    known = set()
    for path in glob.glob(os.path.join(ROOT, "app", "**", "en", "LC_MESSAGES", "messages.po"), recursive=True):
        with open(path, "rb") as fh:
            known |= {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    method_map = [("**.py", "python"), ("**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(os.path.join(ROOT, "app"), method_map,
                                                                  keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    assert not (found - known), "run `make messages`: not in any catalogue: " + ", ".join(sorted(found - known)[:20])
