"""The privacy officer acts: decisions on findings, grants they carry, and the store that holds them
(decisions.store), read by the check phase and the reports (decisions.tables) and written by the
command line and the review app (decisions.decide)."""
