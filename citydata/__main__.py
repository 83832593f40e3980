import sys

from citydata.cli import main

sys.exit(main())
