"""`python -m ch3` is the `ch3` command."""
import sys

from ch3.harness.cli import main

sys.exit(main())
