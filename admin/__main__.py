"""`python -m admin`: see admin/__init__.py."""

import sys

from admin.commands import main

sys.exit(main())
