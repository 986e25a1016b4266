import sys

from bsmart.cli import main

sys.exit(main())
