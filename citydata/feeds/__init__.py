"""Fetching published notices from the publishers' public APIs (Contracts Finder, Find a Tender).

`citydata.feeds.fetch.run` pages through a feed, keeps each response's bytes like an uploaded
file, imports each page's notices of the region's authorities that are about technology as
published notices (never touching a register), and records where it got to, so an interrupted
run resumes from the next page. Used by `python -m citydata fetch` and the Published notices page.
"""
