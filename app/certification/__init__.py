"""Teacher certification and the national 百千万 targets."""
