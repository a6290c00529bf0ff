"""Vendor exports with a mapping profile (spec/mapping.md): `landing/vendor/<name>/profile.toml` says how
an export's columns and values become a feed of the landing contract.

profile.py  reading and checking a profile against the contract (a bad one is one line, exit status 2)
read.py     one export -> the staging tables of pipelines.ingest, with the export's own lines
dry_run.py  `schoolaudit map`: a profile tried on one export, no warehouse touched
"""
