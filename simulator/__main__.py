import sys

from simulator.commands import main

sys.exit(main())
