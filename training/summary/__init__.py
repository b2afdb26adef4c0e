"""Training and evaluation of the summary stage's sentence picker (not shipped in the wheel)."""
