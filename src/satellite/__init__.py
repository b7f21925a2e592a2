"""The satellite agent: runs checks from another network and pushes the results to the Satellite API.

Run it with `python -m satellite`; see docs/satellite.md.
"""

__version__ = "0.1.0"
