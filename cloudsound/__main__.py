import sys

from cloudsound.cli import main

sys.exit(main())
