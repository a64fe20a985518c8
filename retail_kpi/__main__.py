import sys

from retail_kpi.cli import main

sys.exit(main())
