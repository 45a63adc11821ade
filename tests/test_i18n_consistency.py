"""Flask-Babel merges the per-domain catalogues into one: when two catalogues translate the same Chinese
string differently, whichever loads last wins everywhere, so the same msgid must mean the same in all."""
import glob
import os

from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_a_string_shared_by_several_catalogues_has_one_translation():
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for path in glob.glob(os.path.join(ROOT, "app", "**", "LC_MESSAGES", "messages.po"), recursive=True):
        lang = path.split(os.sep)[-3]
        with open(path, "rb") as fh:
            for message in read_po(fh):
                if message.id and message.string:
                    seen.setdefault((lang, str(message.id)), {})[os.path.relpath(path, ROOT)] = str(message.string)
    clashes = {key: found for key, found in seen.items() if len(set(found.values())) > 1}
    assert not clashes, "same msgid, different translations:\n" + "\n".join(f"{k}: {v}" for k, v in clashes.items())
