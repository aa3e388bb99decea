"""Frontline: an agent-based simulation of front-line dynamics, built on Mesa."""

__version__ = "0.1.0"
