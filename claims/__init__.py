"""claims: offline document intelligence for Russian claims and appeals."""

__version__ = "0.1.0"
