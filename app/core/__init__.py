"""Small shared kernel: named modules only, no catch-all utils."""
