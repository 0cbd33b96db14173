import sys

from stromal.cli import main

sys.exit(main())
