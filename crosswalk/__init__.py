"""Crosswalk: compare US and UK (and EU, international) crypto rulebooks provision by provision."""

__version__ = "0.1.0"
