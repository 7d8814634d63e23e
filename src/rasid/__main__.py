"""`python -m rasid` is the `rasid` command."""

from .cli import main

raise SystemExit(main())
