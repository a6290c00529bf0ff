"""`make bench`: the auditor measured at the sizes of its users, with reference points and targets.

    python -m pipelines.bench [--sizes weekly,year,sector] [--out out/bench] [--memory-limit 4GB]

prints a table of every stage's time and peak memory, and each target met or missed, and writes it
all to OUT/bench.json. See harness.py for the sizes and targets, stage.py for what each stage runs.
"""
