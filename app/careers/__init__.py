"""Jobs and internships (seed 004): job posts reviewed before they are public, the public board, applications
with a résumé built from the student's record, and the enterprises' demand lists (三张清单)."""
