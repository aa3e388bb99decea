"""`python -m sim` runs the `frontline` command."""

import sys

from sim.cli import main

sys.exit(main())
