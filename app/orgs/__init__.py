"""Schools, enterprises and their partnerships (校企合作)."""
