#!/usr/bin/env python3
"""Fill empty msgstr entries of one .po file from a JSON object {msgid: translation}: fill_translations.py PO JSON."""
import json, sys
from babel.messages.pofile import read_po, write_po
path, mapping = sys.argv[1], json.load(open(sys.argv[2]))
cat = read_po(open(path, "rb"))
n = 0
for m in cat:
    if m.id in mapping and not m.string:
        m.string = mapping[m.id]; n += 1
write_po(open(path, "wb"), cat, width=120)
print("filled", n)
