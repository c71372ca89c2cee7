"""``python -m medsins``: the same command line as the ``medsins`` script."""

import sys

from medsins.cli import main

if __name__ == "__main__":
    sys.exit(main())
