#!/usr/bin/env python3
"""Resolve a git merge conflict in a .po file: the union of both sides' messages (non-empty wins).

    python scripts/merge_po.py PATH        # while PATH is conflicted in the index
"""
import subprocess
import sys
from io import BytesIO

from babel.messages.pofile import read_po, write_po


def side(path: str, stage: int):
    data = subprocess.run(["git", "show", f":{stage}:{path}"], capture_output=True, check=False).stdout
    return read_po(BytesIO(data)) if data else None


def main(path: str) -> None:
    ours, theirs = side(path, 2), side(path, 3)
    merged = ours or theirs
    if ours and theirs:
        for message in theirs:
            if not message.id:
                continue
            mine = merged.get(message.id)
            if mine is None:
                merged[message.id] = message
            elif not mine.string and message.string:
                mine.string = message.string
    with open(path, "wb") as fh:
        write_po(fh, merged, width=120)
    subprocess.run(["git", "add", path], check=True)


if __name__ == "__main__":
    for p in sys.argv[1:]:
        main(p)
