"""Industry fields, professions (专业), training levels and skill levels."""
