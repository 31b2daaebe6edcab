"""`python -m edge`: the same as `hallkeeper-edge` (edge/cli.py)."""

from edge.cli import main

raise SystemExit(main())
