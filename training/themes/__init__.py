"""Training, data building and evaluation for the themes stage (not shipped in the wheel)."""
