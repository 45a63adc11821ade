"""Review (凡编必审): every reviewable resource goes draft -> submitted -> approved / changes_requested; withdrawn."""
