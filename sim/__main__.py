"""`python -m sim` runs the `frontline` command."""

from sim.cli import console

console()
