"""Question banks, knowledge points, versioned questions, the question-type registry and import/export."""
