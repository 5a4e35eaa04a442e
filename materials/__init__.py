"""材料审核: requirements per standard, unit submissions, review rounds, completeness, and the 迎检 archive."""
