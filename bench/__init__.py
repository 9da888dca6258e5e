"""Benchmark of the TMF629 Customer API served by `python app.py` against raw pymongo."""
