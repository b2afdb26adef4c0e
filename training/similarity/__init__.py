"""Data for the similar-projects index: labelled sample projects and the seeds (not shipped in the wheel)."""
